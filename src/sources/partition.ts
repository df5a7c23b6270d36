/**
 * The static partition of a sorted source among the workers of a job array. Worker i of N owns
 * the rows [floor(i·n/N), floor((i+1)·n/N)): contiguous (so concatenating the workers' outputs in
 * worker order gives the single-process order), disjoint, covering, sizes differing by at most
 * one, and a pure function of (n, i, N), so a retried index always gets the same rows.
 */
import { InputError, show } from '../util/errors.js';
import type { Source } from './types.js';

/** Worker i (0-based) of N in a job array. */
export interface WorkerSlot {
  index: number;
  count: number;
}

export interface RowRange {
  /** First row (inclusive), an index into the source sorted by id. */
  start: number;
  /** End row (exclusive). */
  end: number;
}

/** The rows of `worker` among `n` sorted rows; the whole range [0, n) when not a worker. */
export function partitionRange(n: number, worker: WorkerSlot | null): RowRange {
  if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`row count must be a non-negative integer, got ${show(n)}`);
  if (worker === null) return { start: 0, end: n };
  const { index, count } = worker;
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new InputError(`worker ${show(index)} of ${show(count)} is not a valid slot (0 ≤ i < N)`);
  }
  return { start: boundary(n, index, count), end: boundary(n, index + 1, count) };
}

/** floor(i·n/N) without overflowing 2^53 for large n·i. */
function boundary(n: number, i: number, count: number): number {
  const product = BigInt(n) * BigInt(i);
  return Number(product / BigInt(count));
}

/**
 * A worker's view of a source: rows [start, end) of the sorted source, re-indexed from 0. The
 * fingerprint stays the whole source's, so every worker's dataset metadata equals the single run's.
 */
export function sliceSource(source: Source, worker: WorkerSlot | null): Source {
  if (worker === null) return source;
  const { start, end } = partitionRange(source.size, worker);
  const at = (i: number): number => {
    if (!Number.isInteger(i) || i < 0 || i >= end - start) throw new InputError(`row ${i} is outside worker ${worker.index}/${worker.count}'s ${end - start} rows`);
    return start + i;
  };
  return {
    kind: source.kind,
    classes: source.classes,
    fingerprint: source.fingerprint,
    size: end - start,
    ref: (i) => source.ref(at(i)),
    load: (i) => source.load(at(i)),
  };
}
