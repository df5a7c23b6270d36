/**
 * Filling a batch from resident shards, each row copied once out of its slot's arena: a run of
 * rows that lie one after another in one record batch (the whole batch under shuffle `none`) with
 * one copy per column, a flipped row mirrored on the way (flipOrder + the batch's RowFlipper), a
 * subset patch by patch. The result is the same as copying each row and then flipping it in place.
 */
import { flipOrder, type FlipGeometry } from './augment/flip.js';
import { copySubset, type RowSource } from './augment/subset.js';
import type { BatchBuffers } from './batch.js';
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
