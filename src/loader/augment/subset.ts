/**
 * Random subsets redrawn every epoch (the paper's random baseline: a fresh subset per sample and
 * step): from a row's K stored patches (all N of a `full` dataset), keep k chosen uniformly at
 * random by a generator keyed by (seed, epoch, sample id) — the same sample gets another subset in
 * another epoch, and the same one on every rank, shard layout or resume. Partial Fisher–Yates over
 * [0, K), then sorted, so positions stay ascending.
 */
import { hashInts, hashString, Rng, Salt } from '../rng.js';

/** The k indices (ascending, into the row's K stored patches) kept for sample `id` in `epoch`. */
export function subsetIndices(seed: number, epoch: number, id: string, stored: number, k: number, scratch?: Uint16Array): Uint16Array {
  const a = scratch && scratch.length >= stored ? scratch : new Uint16Array(stored);
  for (let i = 0; i < stored; i++) a[i] = i;
  const rng = new Rng(hashInts(seed, epoch, Salt.Subset, hashString(id)));
  for (let i = 0; i < k; i++) {
    const j = i + rng.below(stored - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, k).sort();
}

export interface RowSource {
  patches: Uint8Array;
  positions: Uint16Array;
  scores: Float32Array;
}

/** Copies the patches `keep` (indices into `src`'s rows) of one row into `dst` at `dst` offsets. */
export function copySubset(src: RowSource, keep: Uint16Array, patchBytes: number, dst: RowSource): void {
  for (let i = 0; i < keep.length; i++) {
    const j = keep[i];
    dst.patches.set(src.patches.subarray(j * patchBytes, (j + 1) * patchBytes), i * patchBytes);
    dst.positions[i] = src.positions[j];
    dst.scores[i] = src.scores[j];
  }
}
