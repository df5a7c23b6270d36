/**
 * The one decode loop of the sharded stages: samples of a shard piece are decoded in order with at
 * most `concurrency` decodes running (p-limit, through mapOrdered) and at most two batches of
 * results alive, so the next batch decodes while the caller computes on this one and memory is
 * bounded by the batch size, never by the number of images. Batches follow the global grid
 * (batchesOf), so a sample's batch neighbours never depend on how the work was split.
 */
import { mapOrdered, type MapResult } from '../patchify/pool.js';
import { batchesOf, type RowRange } from './partition.js';

export interface DecodeOptions {
  batchSize: number;
  concurrency: number;
}

function* indices(piece: RowRange): Generator<number, void, undefined> {
  for (let i = piece.start; i < piece.end; i++) yield i;
}

/** Yields the results of `load` over `piece`, grouped into the batches of the global grid. */
export async function* decodeBatches<T>(piece: RowRange, load: (index: number) => Promise<T>, options: DecodeOptions): AsyncGenerator<MapResult<T>[], void, undefined> {
  const window = Math.max(2 * options.batchSize, 2 * options.concurrency);
  const results = mapOrdered(indices(piece), load, { concurrency: options.concurrency, window });
  try {
    for (const batch of batchesOf(piece, options.batchSize)) {
      const out: MapResult<T>[] = [];
      while (out.length < batch.end - batch.start) {
        const next = await results.next();
        if (next.done) throw new Error(`decode ended early at ${batch.start + out.length} of [${batch.start}, ${batch.end})`);
        out.push(next.value);
      }
      yield out;
    }
  } finally {
    await results.return(undefined);
  }
}
