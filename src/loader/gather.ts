/**
 * Filling a batch from resident shards, each row copied once out of its slot's arena: a run of
 * rows that lie one after another in one record batch (the whole batch under shuffle `none`) with
 * one copy per column, a flipped row mirrored on the way (flipOrder + the batch's RowFlipper), a
 * subset patch by patch. The result is the same as copying each row and then flipping it in place.
 */
import { patchBytes } from '../shards/schema.js';
import type { DatasetMeta } from '../shards/types.js';
import { flipGeometry, flipOrder, type FlipGeometry } from './augment/flip.js';
import { copySubset, subsetIndices, type RowSource } from './augment/subset.js';
import type { BatchBuffers } from './batch.js';
import type { ResolvedOptions } from './options.js';
import type { ShardSlot } from './resident.js';

/** Rows from `row` on that follow each other in `slot`'s arena, up to `max`. */
export function contiguousRows(slot: ShardSlot, row: number, max: number): number {
  const R = slot.rowPatchBytes;
  const k = slot.k;
  let n = 1;
  while (n < max && slot.patchAt[row + n] === slot.patchAt[row] + n * R && slot.positionAt[row + n] === slot.positionAt[row] + n * k && slot.scoreAt[row + n] === slot.scoreAt[row] + n * k) n++;
  return n;
}

/** Copies rows [row, row + n) of `slot` (contiguous: see contiguousRows) to batch rows [i, i + n). */
export function copyRows(slot: ShardSlot, row: number, n: number, buf: BatchBuffers, i: number): void {
  const R = buf.rowPatchBytes;
  const k = buf.k;
  const p = slot.patchAt[row];
  const q = slot.positionAt[row];
  const s = slot.scoreAt[row];
  buf.patches.set(slot.arena.subarray(p, p + n * R), i * R);
  buf.positions.set(slot.arena16.subarray(q, q + n * k), i * k);
  buf.scores.set(slot.arena32.subarray(s, s + n * k), i * k);
}

/** Writes batch row `i` as the horizontal flip of a row held as arrays and offsets (patches must not be the batch's). */
export function flipInto(src: RowSource, at: { patch: number; position: number; score: number }, geo: FlipGeometry, buf: BatchBuffers, i: number): void {
  const flipper = buf.flipper;
  if (!flipper) throw new Error('flipInto needs batch buffers made for flipping');
  const k = buf.k;
  flipOrder(src.positions, at.position, k, geo.gridWidth, flipper.perm, buf.positions, i * k);
  for (let j = 0; j < k; j++) buf.scores[i * k + j] = src.scores[at.score + flipper.perm[j]];
  flipper.flip(src.patches, at.patch, i);
}

/** Writes batch row `i` as the flip of row `row` of `slot`. */
export function flipRowFrom(slot: ShardSlot, row: number, geo: FlipGeometry, buf: BatchBuffers, i: number): void {
  const src = { patches: slot.arena, positions: slot.arena16, scores: slot.arena32 };
  flipInto(src, { patch: slot.patchAt[row], position: slot.positionAt[row], score: slot.scoreAt[row] }, geo, buf, i);
}

/** The patches `keep` of row `row` of `slot` (indices into its stored k), written to `dst` from offset 0. */
export function subsetRow(slot: ShardSlot, row: number, keep: Uint16Array, dst: RowSource): void {
  const [SR, K] = [slot.rowPatchBytes, slot.k];
  const p = slot.patchAt[row];
  const q = slot.positionAt[row];
  const s = slot.scoreAt[row];
  const src = { patches: slot.arena.subarray(p, p + SR), positions: slot.arena16.subarray(q, q + K), scores: slot.arena32.subarray(s, s + K) };
  copySubset(src, keep, SR / K, dst);
}

/** Batch row `i` as a view, for writing a row in place. */
export function batchRow(buf: BatchBuffers, i: number): RowSource {
  const [R, k] = [buf.rowPatchBytes, buf.k];
  return { patches: buf.patches.subarray(i * R, i * R + R), positions: buf.positions.subarray(i * k, i * k + k), scores: buf.scores.subarray(i * k, i * k + k) };
}

/** What every row of an epoch is written with: flip geometry, subset draw, the scratch row a flipped subset passes through. */
export interface RowWriter {
  epoch: number;
  seed: number;
  geo: FlipGeometry;
  /** Patches kept per row (subset), or null for all stored. */
  subset: number | null;
  stored: number;
  order: Uint16Array;
  scratch: RowSource;
}

/** The writer of an epoch's rows of `k` patches. */
export function rowWriter(meta: DatasetMeta, options: Pick<ResolvedOptions, 'seed' | 'flip' | 'subset'>, epoch: number, k: number): RowWriter {
  const subset = options.subset ?? null;
  const scratch = subset === null || !options.flip ? { patches: new Uint8Array(0), positions: new Uint16Array(0), scores: new Float32Array(0) }
    : { patches: new Uint8Array(k * patchBytes(meta)), positions: new Uint16Array(k), scores: new Float32Array(k) };
  return { epoch, seed: options.seed, geo: flipGeometry(meta), subset, stored: meta.k, order: new Uint16Array(meta.k), scratch };
}

const SCRATCH_AT = { patch: 0, position: 0, score: 0 };

/** Writes batch rows [from, to): row i is row rowOf[i] of slots[i], flipped where buf.flipped[i]. */
export function writeRows(w: RowWriter, slots: readonly ShardSlot[], rowOf: Uint32Array, from: number, to: number, buf: BatchBuffers, ids: readonly string[]): void {
  for (let i = from; i < to;) {
    const slot = slots[i];
    const row = rowOf[i];
    if (w.subset !== null) {
      const keep = subsetIndices(w.seed, w.epoch, ids[i], w.stored, w.subset, w.order);
      if (buf.flipped[i]) {
        subsetRow(slot, row, keep, w.scratch);
        flipInto(w.scratch, SCRATCH_AT, w.geo, buf, i);
      } else subsetRow(slot, row, keep, batchRow(buf, i));
      i++;
    } else if (buf.flipped[i]) {
      flipRowFrom(slot, row, w.geo, buf, i);
      i++;
    } else {
      let m = 1;
      while (i + m < to && slots[i + m] === slot && rowOf[i + m] === row + m && !buf.flipped[i + m]) m++;
      const n = m === 1 ? 1 : contiguousRows(slot, row, m);
      copyRows(slot, row, n, buf, i);
      i += n;
    }
  }
}
