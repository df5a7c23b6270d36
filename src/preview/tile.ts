/**
 * One preview tile from a ticket row (pure): the kept patches at their grid positions, upscaled by
 * an integer factor with nearest neighbour; dropped patches (absent from a ticket shard) are filled
 * with a dark, hatched grey so they read as "not in the ticket" even on black images. Given the
 * image's whole patch grid (re-read from its source), dropped patches show their own pixels
 * dimmed under the same hatching: what the ticket left out stays visible.
 */
import { InputError } from '../util/errors.js';

export interface TileGeometry {
  /** Image height and width in pixels. */
  height: number;
  width: number;
  patchSize: number;
  gridW: number;
  channels: number;
}

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, row-major. */
  data: Uint8Array;
}

/** Colours of a dropped patch: base and hatch lines. */
export const DROPPED_BASE: readonly [number, number, number] = [58, 60, 72];
export const DROPPED_HATCH: readonly [number, number, number] = [84, 86, 100];

/** Share of a dropped patch's own pixel in its dimmed colour (the rest is the dropped grey). */
export const DROPPED_DIM = 0.4;

/** Integer upscale so the longer side reaches about `target` pixels (never below 1). */
export function tileScale(height: number, width: number, target = 112): number {
  return Math.max(1, Math.floor(target / Math.max(height, width)));
}

/** Calls `put(x, y, src)` for each tile pixel of the patch at raster position `pos`, `src` the byte offset of its pixel in the patch. */
function eachPixel(pos: number, g: TileGeometry, scale: number, put: (x: number, y: number, src: number) => void): void {
  const p = g.patchSize;
  const top = Math.floor(pos / g.gridW) * p;
  const left = (pos % g.gridW) * p;
  for (let py = 0; py < p; py++) {
    for (let px = 0; px < p; px++) {
      const src = (py * p + px) * g.channels;
      for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) put((left + px) * scale + sx, (top + py) * scale + sy, src);
    }
  }
}

/** Writes the RGB of a patch pixel (grey repeated), mixed `w` : 1 − w with `under`, at `dst`. */
function putPixel(data: Uint8Array, dst: number, patch: Uint8Array, src: number, channels: number, w = 1, under: readonly number[] = DROPPED_BASE): void {
  for (let i = 0; i < 3; i++) {
    const v = patch[src + (channels >= 3 ? i : 0)];
    data[dst + i] = w === 1 ? v : Math.round(w * v + (1 - w) * under[i]);
  }
}

/** Whether tile pixel (x, y) lies on a hatch line. */
function onHatch(x: number, y: number, scale: number): boolean {
  return (x + y) % Math.max(4, 3 * scale) < Math.max(1, scale >> 1);
}

/**
 * Renders k patches (k·p·p·C bytes, aligned with ascending raster `positions`) into an RGB tile of
 * (height·scale) × (width·scale) pixels. `full`: the image's N patches in raster order (the same
 * bytes at the kept positions), to draw the dropped ones dimmed instead of plain grey.
 */
export function renderTile(patches: Uint8Array, positions: Uint16Array, g: TileGeometry, scale: number, full?: Uint8Array): RgbImage {
  const patchBytes = g.patchSize * g.patchSize * g.channels;
  if (patches.length !== positions.length * patchBytes) {
    throw new InputError(`${positions.length} positions but ${patches.length} patch bytes (expected ${positions.length * patchBytes})`);
  }
  const gridCount = (g.height / g.patchSize) * g.gridW;
  if (full !== undefined && full.length !== gridCount * patchBytes) {
    throw new InputError(`the full grid has ${full.length} bytes, expected ${gridCount * patchBytes} (${gridCount} patches)`);
  }
  const W = g.width * scale;
  const H = g.height * scale;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set(onHatch(x, y, scale) ? DROPPED_HATCH : DROPPED_BASE, (y * W + x) * 3);
  const kept = new Set<number>();
  for (const pos of positions) {
    if (pos >= gridCount) throw new InputError(`position ${pos} is outside the ${gridCount}-patch grid`);
    kept.add(pos);
  }
  if (full !== undefined) {
    for (let pos = 0; pos < gridCount; pos++) {
      if (kept.has(pos)) continue;
      const patch = full.subarray(pos * patchBytes, (pos + 1) * patchBytes);
      eachPixel(pos, g, scale, (x, y, src) => putPixel(data, (y * W + x) * 3, patch, src, g.channels, DROPPED_DIM, onHatch(x, y, scale) ? DROPPED_HATCH : DROPPED_BASE));
    }
  }
  positions.forEach((pos, i) => {
    const patch = patches.subarray(i * patchBytes, (i + 1) * patchBytes);
    eachPixel(pos, g, scale, (x, y, src) => putPixel(data, (y * W + x) * 3, patch, src, g.channels));
  });
  return { width: W, height: H, data };
}
