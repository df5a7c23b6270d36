/**
 * The one signature every shuffle algorithm implements (after MosaicML streaming's `shuffle/`).
 * A shuffle sees only shard sizes, never data: it returns the epoch's order of global sample
 * indices (shard j's rows are the indices [offset_j, offset_j + rows_j), shards of all datasets
 * concatenated). It must be a permutation of 0 … N−1, a pure function of its inputs, and differ
 * between epochs (except `none`). Algorithms should keep each shard's samples close together in
 * the order: the loader holds a shard in memory from its first to its last use, and refuses an
 * order that needs more shards at once than its budget (`maxResidentShards`).
 */
export interface ShuffleParams {
  /** Samples mixed together across shards (the `block` algorithm's window). */
  block: number;
}

export type ShuffleFn = (shardRows: readonly number[], seed: number, epoch: number, params: ShuffleParams) => Uint32Array;

export const DEFAULT_SHUFFLE_PARAMS: ShuffleParams = { block: 1 << 14 };

/** Start offsets of each shard in the concatenated index space (length = shards + 1). */
export function shardOffsets(shardRows: readonly number[]): Float64Array {
  const out = new Float64Array(shardRows.length + 1);
  for (let i = 0; i < shardRows.length; i++) out[i + 1] = out[i] + shardRows[i];
  return out;
}

/** Writes the rows of shards, in the given shard order, into one index array. */
export function concatShards(shardRows: readonly number[], order: ArrayLike<number>): Uint32Array {
  const offsets = shardOffsets(shardRows);
  const out = new Uint32Array(offsets[shardRows.length]);
  let at = 0;
  for (let i = 0; i < order.length; i++) {
    const s = order[i];
    for (let r = 0, base = offsets[s]; r < shardRows[s]; r++) out[at++] = base + r;
  }
  return out;
}
