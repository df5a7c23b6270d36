/**
 * `shard`: a seeded permutation of the shard order, then each shard's rows permuted on their own
 * (MosaicML's py1s). Samples never mix across shards, so exactly one shard is needed at a time:
 * the cheapest shuffle, but a batch draws from one or two shards only.
 */
import { hashInts, permutation, Rng, Salt, shuffleRange } from '../rng.js';
import { concatShards, type ShuffleFn } from './types.js';

export const shuffleShard: ShuffleFn = (shardRows, seed, epoch) => {
  const shardOrder = permutation(shardRows.length, new Rng(hashInts(seed, epoch, Salt.ShardOrder)));
  const out = concatShards(shardRows, shardOrder);
  const rng = new Rng(hashInts(seed, epoch, Salt.Rows));
  let at = 0;
  for (const s of shardOrder) {
    shuffleRange(out, at, at + shardRows[s], rng);
    at += shardRows[s];
  }
  return out;
};
