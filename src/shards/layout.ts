/**
 * Deterministic shard and batch boundaries. Rows have a fixed size (apart from the id), so the
 * number of rows per shard and per record batch follows from the metadata and the target sizes
 * alone: shard j always holds the rows of slots [j·R, (j+1)·R) (K rows per slot with K views). A rerun can therefore skip
 * complete shards, and N workers can agree on shard numbering without talking to each other.
 */
import { InputError, show } from '../util/errors.js';
import { gridSize, patchBytes } from './schema.js';
import { DatasetKind, type DatasetMeta } from './types.js';

export const MiB = 1024 * 1024;
export const DEFAULT_SHARD_BYTES = 256 * MiB;
export const DEFAULT_BATCH_BYTES = 8 * MiB;
/** Bytes budgeted per id when sizing shards (ids are short keys; longer ones only make shards a bit larger). */
export const ID_ALLOWANCE = 32;

export interface ShardLayout {
  /** Estimated bytes of one row (fixed-size columns plus ID_ALLOWANCE). */
  rowBytes: number;
  /** R: slots (images) per shard. */
  rowsPerShard: number;
  /** Rows each slot writes: K of a dataset with views (meta.views.count), else 1. */
  rowsPerSlot: number;
  /** Rows per record batch (≤ R · rowsPerSlot). */
  rowsPerBatch: number;
}

export interface LayoutOptions {
  shardBytes?: number;
  batchBytes?: number;
}

/** Bytes of one row's fixed-size columns plus the id allowance. */
export function rowBytes(meta: DatasetMeta): number {
  const fixed = 4 + 4 + ID_ALLOWANCE; // label, id offset, id bytes
  if (meta.kind === DatasetKind.Scores) return fixed + (meta.rates?.length ?? 1) * gridSize(meta) * (4 + 2);
  return fixed + meta.k * (patchBytes(meta) + 2 + 4);
}

export function shardLayout(meta: DatasetMeta, options: LayoutOptions = {}): ShardLayout {
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  for (const [name, v] of [['shardBytes', shardBytes], ['batchBytes', batchBytes]] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new InputError(`${name} must be a positive integer, got ${show(v)}`);
  }
  const bytes = rowBytes(meta);
  // A slot (image) of a dataset with views writes its K rows, all in one shard.
  const rowsPerSlot = meta.views?.count ?? 1;
  const rowsPerShard = Math.max(1, Math.floor(shardBytes / (bytes * rowsPerSlot)));
  const rowsPerBatch = Math.min(rowsPerShard * rowsPerSlot, Math.max(1, Math.floor(batchBytes / bytes)));
  return { rowBytes: bytes, rowsPerShard, rowsPerSlot, rowsPerBatch };
}

/** File name of shard `index`: shard-00000.arrow, … (more digits past 99999). */
export function shardFileName(index: number): string {
  return `shard-${String(index).padStart(5, '0')}.arrow`;
}

/** Number of shards needed for `slots` slots. */
export function shardCount(slots: number, layout: ShardLayout): number {
  return Math.ceil(slots / layout.rowsPerShard);
}

/** The slot range [start, end) of shard `index`. */
export function shardSlots(index: number, slots: number, layout: ShardLayout): [number, number] {
  const start = index * layout.rowsPerShard;
  return [start, Math.min(slots, start + layout.rowsPerShard)];
}
