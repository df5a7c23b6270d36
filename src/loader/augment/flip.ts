/**
 * Exact horizontal flip of a sparse ticket row, in place. A kept patch at (row, col) moves to
 * (row, G_w−1−col) and its pixels are mirrored (each patch is p×p×C, row-major (row, col,
 * channel)). Positions stay ascending: flipping reverses the column order within each grid row
 * and keeps the row order, so reversing each run of equal grid rows re-sorts positions, patches
 * and scores together in O(k), no general sort needed. Flipping twice restores the row exactly.
 */
import type { DatasetMeta } from '../../shards/types.js';
import { hashInts, hashString, Salt } from '../rng.js';

export interface FlipGeometry {
  /** Patch side p in pixels. */
  patchSize: number;
  channels: number;
  /** G_w: patches per grid row. */
  gridWidth: number;
}

export function flipGeometry(meta: Pick<DatasetMeta, 'patchSize' | 'channels' | 'grid'>): FlipGeometry {
  return { patchSize: meta.patchSize, channels: meta.channels, gridWidth: meta.grid[1] };
}

/** Writes the horizontal mirror of the patch at `src[from…]` to `dst[to…]` (no overlap). */
export function mirrorPatch(src: Uint8Array, from: number, dst: Uint8Array, to: number, p: number, c: number): void {
  const rowBytes = p * c;
  for (let r = 0; r < p; r++) {
    let s = from + r * rowBytes;
    let d = to + r * rowBytes + (p - 1) * c;
    if (c === 3) {
      for (let x = 0; x < p; x++, s += 3, d -= 3) {
        dst[d] = src[s];
        dst[d + 1] = src[s + 1];
        dst[d + 2] = src[s + 2];
      }
    } else if (c === 1) {
      for (let x = 0; x < p; x++) dst[d - x] = src[s + x];
    } else {
      for (let x = 0; x < p; x++, s += c, d -= c) dst.set(src.subarray(s, s + c), d);
    }
  }
}

/**
 * Flips one row: `positions` and `scores` hold k entries, `patches` k·p·p·C bytes. `scratch`
 * needs p·p·C bytes (pass a reused one; allocated when absent).
 */
export function flipRow(patches: Uint8Array, positions: Uint16Array, scores: Float32Array, geo: FlipGeometry, scratch?: Uint8Array): void {
  const { patchSize: p, channels: c, gridWidth: gw } = geo;
  const size = p * p * c;
  const tmp = scratch ?? new Uint8Array(size);
  const k = positions.length;
  let a = 0;
  while (a < k) {
    const gridRow = Math.floor(positions[a] / gw);
    let b = a + 1;
    while (b < k && Math.floor(positions[b] / gw) === gridRow) b++;
    for (let i = a, j = b - 1; i <= j; i++, j--) {
      mirrorPatch(patches, i * size, tmp, 0, p, c);
      if (i !== j) mirrorPatch(patches, j * size, patches, i * size, p, c);
      patches.set(tmp.subarray(0, size), j * size);
      const pi = positions[i];
      positions[i] = gridRow * gw + (gw - 1 - (positions[j] % gw));
      positions[j] = gridRow * gw + (gw - 1 - (pi % gw));
      const si = scores[i];
      scores[i] = scores[j];
      scores[j] = si;
    }
    a = b;
  }
}

/**
 * The order of a flipped row without moving anything: for the row's k ascending `positions` (from
 * `at`), writes the source index of each flipped patch to `perm` and the flipped positions,
 * ascending, to `out` (from `outAt`). Output patch i is then the mirror of source patch perm[i],
 * and score i is source score perm[i]: exactly what `flipRow` leaves in place.
 */
export function flipOrder(positions: Uint16Array, at: number, k: number, gridWidth: number, perm: Uint16Array, out: Uint16Array, outAt: number): void {
  let a = 0;
  while (a < k) {
    const gridRow = Math.floor(positions[at + a] / gridWidth);
    let b = a + 1;
    while (b < k && Math.floor(positions[at + b] / gridWidth) === gridRow) b++;
    for (let i = a; i < b; i++) {
      const j = a + b - 1 - i;
      perm[i] = j;
      out[outAt + i] = gridRow * gridWidth + (gridWidth - 1 - (positions[at + j] % gridWidth));
    }
    a = b;
  }
}

/** The per-sample flip decision: a fair coin seeded by (seed, epoch, sample id). */
export function shouldFlip(seed: number, epoch: number, id: string): boolean {
  return (hashInts(seed, epoch, Salt.Flip, hashString(id)) & 0x80000000) !== 0;
}
