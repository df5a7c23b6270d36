/**
 * A worker's view of a source: worker i of N owns the contiguous slots
 * [floor(i·n/N), floor((i+1)·n/N)) of the sorted source (the partition the pipeline runner uses),
 * so the workers' datasets concatenated in worker order hold the single-process rows.
 */
import type { Source } from '../sources/types.js';
import { InputError, show } from '../util/errors.js';

export interface WorkerSlice {
  index: number;
  count: number;
}

function boundary(n: number, i: number, count: number): number {
  return Number((BigInt(n) * BigInt(i)) / BigInt(count));
}

export function sliceSource(source: Source, worker: WorkerSlice | null): Source {
  if (worker === null) return source;
  const { index, count } = worker;
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new InputError(`worker ${show(index)} of ${show(count)} is not a valid slot (0 ≤ i < N)`);
  }
  const start = boundary(source.size, index, count);
  const end = boundary(source.size, index + 1, count);
  return {
    kind: source.kind,
    classes: source.classes,
    fingerprint: source.fingerprint,
    size: end - start,
    ref: (i) => source.ref(start + i),
    load: (i) => source.load(start + i),
  };
}
