/**
 * The "patch soup" background (pure, deterministic): the canvas is cut into cells of `cell` px; one
 * Fashion-MNIST item, itself cut into (28 / cell)² cells, sits on that cell grid at a seeded cell
 * offset, and every other cell is a random cell of another item of the same split. Object and
 * background cells are then drawn from the same distribution of cell contents (a background cell
 * is a uniformly random cell of a uniformly random item), so no rule that scores a cell by its own
 * pixels can tell them apart: only how the cells fit together shows where the item is.
 *
 * For sample (seed, split, index), a generator keyed by hashInts(seed, split salt, index,
 * SOUP_PURPOSE) draws, in this order: the item's column offset ox and row offset oy in cells, each
 * uniform over [−overhang, C − m + overhang] (C = size / cell cells per side, m = 28 / cell cells
 * per item side; a negative or large offset puts up to `overhang` rows or columns of the item off
 * the canvas); then, for every canvas cell outside the item in raster order, an item j uniform
 * over the split's other items (j = below(total − 1), plus one when j ≥ index), then the column u
 * and the row v of one of its cells, each drawn as pick(below(W)) with weights w (cellWeights):
 * w[u] = the number of item offsets at which item column u is on the canvas, W = Σ w, pick(x) =
 * the first u with w[0] + … + w[u] > x. So a background cell is distributed over the item's cells
 * as a visible object cell is (uniform when nothing overhangs; with an overhang, the item's inner
 * cells, more often visible, are drawn more often). Pixels are copied unchanged. The mask is 1 on
 * the item's square (its on-canvas part), 0 elsewhere.
 */
import { hashInts, Rng } from '../loader/rng.js';

export interface SoupConfig {
  /** Canvas side S in pixels (a multiple of `cell`). */
  size: number;
  /** Cell side in pixels (divides the item side). */
  cell: number;
  /** Item rows/columns, in cells, that may lie off the canvas on each side (0: always whole). */
  overhang: number;
}

export interface SoupItems {
  /** The split's items, side² bytes each. */
  data: Uint8Array;
  side: number;
  /** Items in the split (background cells come from all of them). */
  total: number;
}

/** Keeps the soup's draws independent of the texture background's for the same (seed, split, index). */
const SOUP_PURPOSE = 0x50a9;

export interface SoupPlacement {
  /** Item offset in cells (may be negative with an overhang). */
  ox: number;
  oy: number;
  /** Per canvas cell (raster): the source item and its cell v·m + u (−1, −1 for the item's own cells). */
  item: Int32Array;
  part: Int32Array;
}

/** Per item column (or row) u of m: at how many of the offsets [−h, C − m + h] it lies on the C-cell canvas. */
export function cellWeights(C: number, m: number, h: number): number[] {
  return Array.from({ length: m }, (_, u) => {
    let w = 0;
    for (let o = -h; o <= C - m + h; o++) if (o + u >= 0 && o + u < C) w++;
    return w;
  });
}

function pick(weights: readonly number[], x: number): number {
  let u = 0;
  let acc = weights[0];
  while (acc <= x) acc += weights[++u];
  return u;
}

/** The random draws of sample `index` (split salt 1 = train, 2 = test). */
export function soupPlacement(seed: number, splitSalt: number, index: number, items: Pick<SoupItems, 'side' | 'total'>, c: SoupConfig): SoupPlacement {
  const rng = new Rng(hashInts(seed, splitSalt, index, SOUP_PURPOSE));
  const C = c.size / c.cell;
  const m = items.side / c.cell;
  const span = C - m + 2 * c.overhang + 1;
  const w = cellWeights(C, m, c.overhang);
  const W = w.reduce((a, b) => a + b, 0);
  const ox = rng.below(span) - c.overhang;
  const oy = rng.below(span) - c.overhang;
  const item = new Int32Array(C * C).fill(-1);
  const part = new Int32Array(C * C).fill(-1);
  for (let cy = 0; cy < C; cy++) {
    for (let cx = 0; cx < C; cx++) {
      if (cx >= ox && cx < ox + m && cy >= oy && cy < oy + m) continue;
      const j = rng.below(items.total - 1);
      item[cy * C + cx] = j >= index ? j + 1 : j;
      const u = pick(w, rng.below(W));
      part[cy * C + cx] = pick(w, rng.below(W)) * m + u;
    }
  }
  return { ox, oy, item, part };
}

/** Writes the S×S soup image of item `index` into `out` and its object mask into `mask` (S·S bytes each). */
export function composeSoup(items: SoupItems, index: number, p: SoupPlacement, c: SoupConfig, out: Uint8Array, mask: Uint8Array): void {
  const C = c.size / c.cell;
  const m = items.side / c.cell;
  for (let cy = 0; cy < C; cy++) {
    for (let cx = 0; cx < C; cx++) {
      const own = p.item[cy * C + cx] < 0;
      const src = own ? index : p.item[cy * C + cx];
      const q = p.part[cy * C + cx];
      const [sx, sy] = own ? [cx - p.ox, cy - p.oy] : [q % m, Math.floor(q / m)];
      copyCell(items, src, sx * c.cell, sy * c.cell, c.cell, out, cy * c.cell * c.size + cx * c.cell, c.size);
      for (let y = 0; y < c.cell; y++) mask.fill(own ? 1 : 0, (cy * c.cell + y) * c.size + cx * c.cell, (cy * c.cell + y) * c.size + (cx + 1) * c.cell);
    }
  }
}

function copyCell(items: SoupItems, src: number, x0: number, y0: number, cell: number, out: Uint8Array, at: number, stride: number): void {
  const base = src * items.side * items.side;
  for (let y = 0; y < cell; y++) {
    const from = base + (y0 + y) * items.side + x0;
    out.set(items.data.subarray(from, from + cell), at + y * stride);
  }
}
