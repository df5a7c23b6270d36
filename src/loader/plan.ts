/**
 * The read plan of one rank's epoch: which shard each position needs, the order in which shards
 * are read (by first use), and when each can be released (after its last use). Positions before
 * `from` (already consumed, when resuming) are ignored, so their shards are never read.
 */
import { InputError } from '../util/errors.js';

export interface ShardVisit {
  /** Global shard index (shards of all datasets concatenated). */
  shard: number;
  /** First and last position (in the rank's sequence) that need this shard. */
  first: number;
  last: number;
}

export interface ReadPlan {
  /** Global shard of each position; index i holds position `from + i`. */
  shardOf: Uint32Array;
  /** Row within its shard of each position (same indexing). */
  rowOf: Uint32Array;
  /** Shards to read, in order of first use. */
  visits: ShardVisit[];
  /** Most shards needed at once by one batch's window (what the loader must hold). */
  maxResident: number;
}

/** The shard holding global sample `g`: the last offset ≤ g (offsets has shards + 1 entries). */
export function findShard(offsets: Float64Array, g: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (offsets[mid] <= g) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function readPlan(seq: Uint32Array, from: number, offsets: Float64Array, batch: number): ReadPlan {
  if (from < 0 || from > seq.length) throw new InputError(`resume position ${from} is outside the epoch (${seq.length} samples)`);
  const len = seq.length - from;
  const shardOf = new Uint32Array(len);
  const rowOf = new Uint32Array(len);
  const byShard = new Map<number, ShardVisit>();
  const visits: ShardVisit[] = [];
  for (let i = 0; i < len; i++) {
    const g = seq[from + i];
    const s = findShard(offsets, g);
    shardOf[i] = s;
    rowOf[i] = g - offsets[s];
    const v = byShard.get(s);
    if (v) v.last = from + i;
    else {
      const visit = { shard: s, first: from + i, last: from + i };
      byShard.set(s, visit);
      visits.push(visit);
    }
  }
  return { shardOf, rowOf, visits, maxResident: residentPeak(visits, from, len, batch) };
}

/** The largest number of visits overlapping one batch window [from + bB, from + (b+1)B). */
function residentPeak(visits: readonly ShardVisit[], from: number, len: number, batch: number): number {
  const batches = Math.ceil(len / batch);
  const diff = new Int32Array(batches + 1);
  for (const v of visits) {
    diff[Math.floor((v.first - from) / batch)]++;
    diff[Math.floor((v.last - from) / batch) + 1]--;
  }
  let live = 0;
  let peak = 0;
  for (let b = 0; b < batches; b++) {
    live += diff[b];
    if (live > peak) peak = live;
  }
  return peak;
}
