/**
 * Views: what a model receives for one sample, as the Python package's `dlth.views` defines them
 * (python/dlth/views.py), computed here for `dlth stream --view`:
 * - sparse: patches [k, p·p·C] uint8 and positions [k] (the shard layout; token dropping in a ViT);
 * - naflex: patches [L, p·p·C], coords [L, 2] (grid row, column), mask [L] (1 = a real patch);
 *   L = maxPatches (≥ k, zero padding) or k;
 * - zero: image [C, H, W] float32, kept patches normalised with the dataset's mean/std
 *   ((x/255 − mean[c]) / std[c], each step rounded to float32 as torchvision does), dropped ones 0:
 *   the paper's input for Swin and CNNs;
 * - packed: image [C, s·p, s·p], s = √k: the kept patches, normalised, in raster order on an s×s grid.
 * Pure functions over a batch's flat arrays; buffers are the caller's, reused across batches.
 */
import { InputError } from '../util/errors.js';
import type { DatasetMeta } from '../shards/types.js';

export const VIEW_NAMES = ['sparse', 'naflex', 'zero', 'packed'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

export interface ViewGeometry {
  p: number;
  c: number;
  gh: number;
  gw: number;
  /** Patches per row of the batches. */
  k: number;
}

export function viewGeometry(meta: DatasetMeta, k: number): ViewGeometry {
  return { p: meta.patchSize, c: meta.channels, gh: meta.grid[0], gw: meta.grid[1], k };
}

/** float32 [C·256]: the normalised value of every byte per channel, rounded to float32 at each step. */
export function normaliseTable(meta: Pick<DatasetMeta, 'channels' | 'mean' | 'std'>): Float32Array {
  const f = Math.fround;
  const t = new Float32Array(meta.channels * 256);
  for (let c = 0; c < meta.channels; c++) {
    const mean = f(meta.mean[c] as number);
    const std = f(meta.std[c] as number);
    for (let v = 0; v < 256; v++) t[c * 256 + v] = f(f(f(f(v) / f(255)) - mean) / std);
  }
  return t;
}

/** The side s of the packed view (k = s²), or an InputError naming the nearest squares. */
export function packedSide(k: number): number {
  const s = Math.floor(Math.sqrt(k));
  if (s * s !== k) throw new InputError(`the packed view needs a square k, the dataset has k = ${k} (nearest squares ${s * s} and ${(s + 1) ** 2}); use the zero view, or a subset of a square size`);
  return s;
}

/** Writes patch `j` of a row (p·p·C bytes, row-major (y, x, c)) normalised into `out` at (top, left) of a [C, H, W] image. */
function placePatch(patch: Uint8Array, g: ViewGeometry, table: Float32Array, out: Float32Array, base: number, height: number, width: number, top: number, left: number): void {
  const { p, c } = g;
  for (let y = 0; y < p; y++) {
    for (let x = 0; x < p; x++) {
      const src = (y * p + x) * c;
      for (let ch = 0; ch < c; ch++) out[base + ch * height * width + (top + y) * width + left + x] = table[ch * 256 + (patch[src + ch] as number)] as number;
    }
  }
}

/** zero view of `rows` rows into `out` [rows, C, H, W] (zeroed first). */
export function zeroImages(rows: number, patches: Uint8Array, positions: Uint16Array, g: ViewGeometry, table: Float32Array, out: Float32Array): void {
  const { p, c, gh, gw, k } = g;
  const [height, width] = [gh * p, gw * p];
  const size = c * height * width;
  const pb = p * p * c;
  out.fill(0, 0, rows * size);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const pos = positions[r * k + j] as number;
      const at = (r * k + j) * pb;
      placePatch(patches.subarray(at, at + pb), g, table, out, r * size, height, width, Math.floor(pos / gw) * p, (pos % gw) * p);
    }
  }
}

/** packed view of `rows` rows into `out` [rows, C, s·p, s·p]. */
export function packedImages(rows: number, patches: Uint8Array, g: ViewGeometry, table: Float32Array, out: Float32Array): void {
  const { p, c, k } = g;
  const s = packedSide(k);
  const side = s * p;
  const size = c * side * side;
  const pb = p * p * c;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const at = (r * k + j) * pb;
      placePatch(patches.subarray(at, at + pb), g, table, out, r * size, side, side, Math.floor(j / s) * p, (j % s) * p);
    }
  }
}

/** The naflex row length L must hold the k patches. */
export function checkNaflexLength(length: number, k: number): void {
  if (length < k) throw new InputError(`naflex max patches = ${length} is smaller than the dataset's k = ${k}`);
}

/** naflex view of `rows` rows: patches [rows, L, P], coords [rows, L, 2], mask [rows, L] (buffers of that size). */
export function naflexRows(rows: number, patches: Uint8Array, positions: Uint16Array, g: ViewGeometry, length: number, out: { patches: Uint8Array; coords: Uint16Array; mask: Uint8Array }): void {
  const { k, gw } = g;
  checkNaflexLength(length, k);
  const pb = g.p * g.p * g.c;
  out.patches.fill(0, 0, rows * length * pb);
  out.coords.fill(0, 0, rows * length * 2);
  out.mask.fill(0, 0, rows * length);
  for (let r = 0; r < rows; r++) {
    out.patches.set(patches.subarray(r * k * pb, (r + 1) * k * pb), r * length * pb);
    for (let j = 0; j < k; j++) {
      const pos = positions[r * k + j] as number;
      out.coords[(r * length + j) * 2] = Math.floor(pos / gw);
      out.coords[(r * length + j) * 2 + 1] = pos % gw;
      out.mask[r * length + j] = 1;
    }
  }
}
