/**
 * How a sharded stage's work is cut, as pure functions of global positions in the sorted source:
 * - batches: the global grid [b·B, (b+1)·B), cut at shard boundaries;
 * - shards: slots [j·R, (j+1)·R) (R = rows per shard, from the layout);
 * - workers: worker i of N owns the rows between two points of the batch grid, so every batch
 *   (and so every float result) is computed with the same neighbours whatever N is. Contiguous,
 *   disjoint and covering; sizes differ by at most one batch; a pure function of (n, i, N, B).
 */
import { InputError, show } from '../util/errors.js';

/** Worker i (0-based) of N in a job array. */
export interface WorkerSlot {
  index: number;
  count: number;
}

/** Rows [start, end) of the sorted source. */
export interface RowRange {
  start: number;
  end: number;
}

export function checkWorker(worker: WorkerSlot): void {
  const { index, count } = worker;
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new InputError(`worker ${show(index)} of ${show(count)} is not a valid slot (0 ≤ i < N)`);
  }
}

function checkPositive(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new InputError(`${name} must be a positive integer, got ${show(v)}`);
}

/** floor(i·u/N) without overflowing 2^53. */
function unitBoundary(units: number, i: number, count: number): number {
  return Number((BigInt(units) * BigInt(i)) / BigInt(count));
}

/** The rows of `worker` among `n` sorted rows, cut on the grid of `align`-row batches; [0, n) when not a worker. */
export function workerRange(n: number, worker: WorkerSlot | null, align = 1): RowRange {
  if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`row count must be a non-negative integer, got ${show(n)}`);
  checkPositive('the batch size', align);
  if (worker === null) return { start: 0, end: n };
  checkWorker(worker);
  const units = Math.ceil(n / align);
  const at = (i: number): number => Math.min(n, unitBoundary(units, i, worker.count) * align);
  return { start: at(worker.index), end: at(worker.index + 1) };
}

/** The part of shard `j` (slots [j·R, (j+1)·R) of `n`) that lies in `range`, or null. */
export function shardPiece(j: number, rowsPerShard: number, n: number, range: RowRange): RowRange | null {
  const start = Math.max(j * rowsPerShard, range.start);
  const end = Math.min((j + 1) * rowsPerShard, n, range.end);
  return start < end ? { start, end } : null;
}

/** Indices of the shards that hold rows of `range` (all shards for the whole source). */
export function shardsOf(range: RowRange, rowsPerShard: number): number[] {
  if (range.start >= range.end) return [];
  const first = Math.floor(range.start / rowsPerShard);
  const last = Math.floor((range.end - 1) / rowsPerShard);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** The batches of `piece` on the global grid of size `batch`: [max(start, b·B), min(end, (b+1)·B)). */
export function* batchesOf(piece: RowRange, batch: number): Generator<RowRange, void, undefined> {
  checkPositive('the batch size', batch);
  for (let s = piece.start; s < piece.end; ) {
    const e = Math.min(piece.end, (Math.floor(s / batch) + 1) * batch);
    yield { start: s, end: e };
    s = e;
  }
}
