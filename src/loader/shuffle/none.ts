/** `none`: the stored order (shards in manifest order, rows in shard order), every epoch. */
import { concatShards, type ShuffleFn } from './types.js';

export const shuffleNone: ShuffleFn = (shardRows) => {
  const order = Array.from(shardRows, (_, i) => i);
  return concatShards(shardRows, order);
};
