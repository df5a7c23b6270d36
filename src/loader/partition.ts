/**
 * Partitioning an epoch's order among `world` ranks. Each rank takes one contiguous slice of the
 * epoch order (contiguous keeps the two-level shuffle's locality: a rank reads about 1/world of
 * the shards, not all of them). How uneven counts are handled is the mode:
 *
 * - `pad` (default): slices of ⌊N/W⌋ or ⌈N/W⌉ samples; a short slice repeats its own last sample,
 *   so every rank yields ⌈N/W⌉ samples (equal batch counts) and at most W−1 samples appear twice.
 * - `drop`: every rank takes ⌊N/W⌋ samples; the last N mod W samples of the epoch order (different
 *   ones each shuffled epoch) are skipped. Equal batch counts, no duplicates.
 * - `exact`: slices of ⌊N/W⌋ or ⌈N/W⌉ samples, nothing added or dropped: every sample exactly once
 *   (for evaluation). Ranks may differ by one sample, hence possibly by one batch.
 */
import { InputError, show } from '../util/errors.js';

export interface RankSlice {
  /** The slice [start, end) of the epoch order. */
  start: number;
  end: number;
  /** Samples appended by repeating the slice's tail (wrapping to the preceding samples). */
  pad: number;
}

export type PartitionFn = (n: number, world: number, rank: number) => RankSlice;

function balanced(n: number, world: number, rank: number): [number, number] {
  return [Math.floor((rank * n) / world), Math.floor(((rank + 1) * n) / world)];
}

export const partitions = {
  pad: (n, world, rank) => {
    const [start, end] = balanced(n, world, rank);
    return { start, end, pad: n === 0 ? 0 : Math.ceil(n / world) - (end - start) };
  },
  drop: (n, world, rank) => {
    const per = Math.floor(n / world);
    return { start: rank * per, end: (rank + 1) * per, pad: 0 };
  },
  exact: (n, world, rank) => {
    const [start, end] = balanced(n, world, rank);
    return { start, end, pad: 0 };
  },
} as const satisfies Record<string, PartitionFn>;

export type PartitionName = keyof typeof partitions;
export const PARTITION_NAMES = Object.keys(partitions) as PartitionName[];

export function isPartitionName(name: string): name is PartitionName {
  return Object.hasOwn(partitions, name);
}

export function checkRankOfWorld(rank: number, world: number): void {
  if (!Number.isSafeInteger(world) || world < 1) throw new InputError(`world size must be a positive integer, got ${show(world)}`);
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= world) {
    throw new InputError(`rank must be an integer in [0, ${world}), got ${show(rank)}`);
  }
}

/** This rank's slice of the epoch order under `mode`. */
export function partition(mode: string, n: number, world: number, rank: number): RankSlice {
  if (!isPartitionName(mode)) throw new InputError(`unknown partition ${show(mode)} (known: ${PARTITION_NAMES.join(', ')})`);
  checkRankOfWorld(rank, world);
  return partitions[mode](n, world, rank);
}

/** The rank's sample sequence: its slice of `order`, then its padding. */
export function rankSequence(order: Uint32Array, slice: RankSlice): Uint32Array {
  const n = order.length;
  const len = slice.end - slice.start;
  const out = new Uint32Array(len + slice.pad);
  out.set(order.subarray(slice.start, slice.end));
  for (let j = 0; j < slice.pad; j++) out[len + j] = order[(((slice.end - slice.pad + j) % n) + n) % n];
  return out;
}
