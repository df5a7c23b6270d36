/** The shuffle registry: name → algorithm. Add an algorithm by adding a file and one entry here. */
import { InputError, show } from '../../util/errors.js';
import { shuffleBlock } from './block.js';
import { shuffleNone } from './none.js';
import { shuffleShard } from './shard.js';
import type { ShuffleFn } from './types.js';

export const shuffles = {
  none: shuffleNone,
  shard: shuffleShard,
  block: shuffleBlock,
} as const satisfies Record<string, ShuffleFn>;

export type ShuffleName = keyof typeof shuffles;
export const SHUFFLE_NAMES = Object.keys(shuffles) as ShuffleName[];

export function isShuffleName(name: string): name is ShuffleName {
  return Object.hasOwn(shuffles, name);
}

export function getShuffle(name: string): ShuffleFn {
  if (!isShuffleName(name)) throw new InputError(`unknown shuffle ${show(name)} (known: ${SHUFFLE_NAMES.join(', ')})`);
  return shuffles[name];
}

export { DEFAULT_SHUFFLE_PARAMS, shardOffsets, type ShuffleFn, type ShuffleParams } from './types.js';
