/**
 * Batches of decoded samples, one batch ahead: when batch i is handed out, every load of batch i+1
 * has already been started, so decoding (sharp, in libuv's thread pool; file reads) runs while the
 * caller computes on batch i. At most two batches exist at a time: memory is bounded by the batch
 * size, never by the number of images. Failures are returned per sample, in order, not thrown.
 */
import type { MapResult } from '../patchify/pool.js';

export interface BatchPlan {
  /** First index (inclusive). */
  start: number;
  /** Last index (exclusive). */
  end: number;
  batchSize: number;
}

function settle<T>(index: number, p: Promise<T>): Promise<MapResult<T>> {
  return p.then(
    (value): MapResult<T> => ({ ok: true, index, value }),
    (err: unknown): MapResult<T> => ({ ok: false, index, error: err instanceof Error ? err : new Error(String(err)) }),
  );
}

function startBatch<T>(from: number, to: number, load: (index: number) => Promise<T>): Promise<MapResult<T>[]> {
  const items: Promise<MapResult<T>>[] = [];
  for (let i = from; i < to; i++) items.push(settle(i, Promise.resolve().then(() => load(i))));
  return Promise.all(items);
}

/** Yields the results of `load` over [start, end) in batches of `batchSize`, prefetching one batch. */
export async function* prefetchBatches<T>(plan: BatchPlan, load: (index: number) => Promise<T>): AsyncGenerator<MapResult<T>[], void, undefined> {
  const { start, end, batchSize } = plan;
  if (start >= end) return;
  let next: Promise<MapResult<T>[]> | null = startBatch(start, Math.min(end, start + batchSize), load);
  try {
    for (let from = start; next; from += batchSize) {
      const current: Promise<MapResult<T>[]> = next;
      const to = from + batchSize;
      next = to < end ? startBatch(to, Math.min(end, to + batchSize), load) : null;
      yield await current;
    }
  } finally {
    // The consumer left early: let the prefetched loads settle (they never reject) before returning.
    if (next) await next;
  }
}
