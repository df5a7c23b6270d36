/**
 * A shard held in memory while its samples are being batched: its columns copied out of the
 * shard reader's record batches into a slot (preallocated, reused for shard after shard). A slot
 * becomes readable only after the reader has checked the whole shard — size, schema, every batch
 * and the sha256 against the manifest — so no sample of a tampered shard ever reaches a batch.
 */
import { ShardError } from '../util/errors.js';
import type { ReadBuffers } from '../shards/decode/stream.js';
import { decodeTicketBatch } from '../shards/decode/tickets.js';
import { labelAt } from '../shards/decode/columns.js';
import { shardBatches } from '../shards/reader.js';
import { patchBytes } from '../shards/schema.js';
import type { DatasetMeta } from '../shards/types.js';
import type { ShardRef, Sources } from './sources.js';

/** The label stored for a row whose label is null. */
export const NO_LABEL = -1;

export class ShardSlot {
  readonly patches: Uint8Array;
  readonly positions: Uint16Array;
  readonly scores: Float32Array;
  readonly labels: Int32Array;
  readonly ids: string[];
  rows = 0;

  constructor(readonly rowPatchBytes: number, readonly k: number, readonly capacity: number) {
    this.patches = new Uint8Array(capacity * rowPatchBytes);
    this.positions = new Uint16Array(capacity * k);
    this.scores = new Float32Array(capacity * k);
    this.labels = new Int32Array(capacity);
    this.ids = new Array<string>(capacity);
  }

  /** Bytes a slot of `capacity` rows takes (ids not counted). */
  static bytes(meta: DatasetMeta, capacity: number): number {
    return capacity * (meta.k * (patchBytes(meta) + 2 + 4) + 4);
  }

  static forMeta(meta: DatasetMeta, capacity: number): ShardSlot {
    return new ShardSlot(meta.k * patchBytes(meta), meta.k, capacity);
  }
}

/** Reads shard `ref` fully into `slot`, verifying it (and its sha256 when `verifyHash`); returns early once `stopped()`. */
export async function loadShard(
  sources: Sources, ref: ShardRef, slot: ShardSlot, buffers: ReadBuffers, verifyHash: boolean, stopped: () => boolean = () => false,
): Promise<void> {
  const ds = sources.datasets[ref.dataset];
  slot.rows = 0;
  if (ref.entry.rows > slot.capacity) {
    throw new ShardError(`${ref.entry.rows} rows do not fit the loader's slot of ${slot.capacity}`, { file: ds.store.describe(ref.entry.file) });
  }
  let at = 0;
  for await (const b of shardBatches(ds, ref.entry, decodeTicketBatch, buffers, verifyHash)) {
    if (stopped()) return;
    const n = b.numRows;
    slot.patches.set(b.patches, at * slot.rowPatchBytes);
    slot.positions.set(b.positions, at * slot.k);
    slot.scores.set(b.scores, at * slot.k);
    for (let i = 0; i < n; i++) {
      slot.labels[at + i] = labelAt(b, i) ?? NO_LABEL;
      slot.ids[at + i] = b.ids[i];
    }
    at += n;
  }
  slot.rows = at;
}
