/**
 * `block`: the two-level shuffle (MosaicML's py1b). A seeded permutation of the shard order,
 * shards concatenated, then the samples of each window of `block` consecutive positions shuffled
 * together. The first window is shorter by a seeded offset, so block boundaries move between
 * epochs. A window spans at most ⌈block / rows per shard⌉ + 1 shards, which bounds the shards the
 * loader holds at once; `block` ≥ N gives a full uniform shuffle (and needs every shard at once).
 */
import { InputError, show } from '../../util/errors.js';
import { hashInts, permutation, Rng, Salt, shuffleRange } from '../rng.js';
import { concatShards, type ShuffleFn } from './types.js';

export const shuffleBlock: ShuffleFn = (shardRows, seed, epoch, params) => {
  const block = params.block;
  if (!Number.isSafeInteger(block) || block < 1) throw new InputError(`shuffle block must be a positive integer, got ${show(block)}`);
  const shardOrder = permutation(shardRows.length, new Rng(hashInts(seed, epoch, Salt.ShardOrder)));
  const out = concatShards(shardRows, shardOrder);
  const rng = new Rng(hashInts(seed, epoch, Salt.Block));
  const n = out.length;
  let start = 0;
  let end = block >= n ? n : rng.below(block) + 1;
  while (start < n) {
    shuffleRange(out, start, end, rng);
    start = end;
    end = Math.min(n, start + block);
  }
  return out;
};
