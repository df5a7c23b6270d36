/**
 * A shard held in memory while its samples are being batched. The shard reader reads every record
 * batch's body straight into the slot's arena (one preallocated buffer, reused for shard after
 * shard), so a row's patches, positions and scores are where the read put them: the loader copies
 * each row once, from the arena into a batch. A compressed batch's body is read into a scratch
 * buffer and decompressed into the arena (decode/compression.ts): the arena of a compressed
 * dataset is sized for its rows uncompressed, and grows (keeping what it holds) if ids longer than
 * the layout's allowance need more. A slot becomes readable only after the reader has
 * checked the whole shard — size, schema, every batch and the sha256 against the manifest — so no
 * sample of a tampered shard ever reaches a batch. A slot remembers the shard it holds: a later epoch
 * that needs it again, and need not check its sha256 again, uses it without reading (run.ts).
 */
import { ShardError } from '../util/errors.js';
import { ReadBuffers } from '../shards/decode/stream.js';
import { decodeTicketBatch, type TicketBatch } from '../shards/decode/tickets.js';
import { labelAt } from '../shards/decode/columns.js';
import { shardBatches } from '../shards/reader.js';
import { rowBytes } from '../shards/layout.js';
import { patchBytes } from '../shards/schema.js';
import type { DatasetMeta, ManifestShard } from '../shards/types.js';
import type { ShardRef, Sources } from './sources.js';

/** The label stored for a row whose label is null. */
export const NO_LABEL = -1;

/** Message bodies start 8-byte aligned in the arena (Arrow's buffer alignment), so typed views line up. */
const ALIGN = 8;

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/**
 * The stream parser's buffers with every message body placed at the next free spot of an arena:
 * the parser asks `ensureBody` once per message and reads the body into what it returns (or, for
 * a compressed batch, the reader decompresses into it). An uncompressed shard always fits (the
 * parser never accepts a body beyond the shard's size, and the arena holds a whole shard); a
 * compressed one whose ids exceed the allowance grows the arena, copying what it holds.
 */
class ArenaBuffers extends ReadBuffers {
  private used = 0;

  constructor(public arena: Uint8Array, private readonly grown: (arena: Uint8Array) => void) {
    super();
  }

  reset(): void {
    this.used = 0;
  }

  override ensureBody(n: number): Uint8Array {
    const at = align(this.used);
    if (at + n > this.arena.length) this.grow(at + n);
    this.used = at + n;
    return this.arena.subarray(at, at + n);
  }

  /** A JPEG-encoded batch's decoded patches: the next free spot of the arena, like a body. */
  override ensurePixels(n: number): Uint8Array {
    return this.ensureBody(n);
  }

  private grow(min: number): void {
    const arena = new Uint8Array(align(Math.max(min, Math.ceil(this.arena.length * 1.25))));
    arena.set(this.arena.subarray(0, this.used));
    this.arena = arena;
    this.grown(arena);
  }
}

export class ShardSlot {
  /** The shard's record batch bodies, as read (replaced, contents kept, when it grows). */
  arena: Uint8Array;
  /** The arena as uint16 and float32 (for positions and scores). */
  arena16: Uint16Array;
  arena32: Float32Array;
  /** Per row: where its patches start (byte), its positions (uint16 index) and its scores (float32 index) in the arena. */
  readonly patchAt: Uint32Array;
  readonly positionAt: Uint32Array;
  readonly scoreAt: Uint32Array;
  readonly labels: Int32Array;
  readonly ids: string[];
  /** Per row: its view (datasets with views; else 0). */
  readonly views: Uint8Array;
  readonly buffers: ArenaBuffers;
  rows = 0;
  /** The shard the slot holds, whole and checked; null while reading or after a failed or stopped read. */
  holds: ShardRef | null = null;

  constructor(readonly rowPatchBytes: number, readonly k: number, readonly capacity: number, arenaBytes: number) {
    this.arena = new Uint8Array(align(arenaBytes));
    this.arena16 = new Uint16Array(this.arena.buffer, 0, this.arena.length / 2);
    this.arena32 = new Float32Array(this.arena.buffer, 0, this.arena.length / 4);
    this.buffers = new ArenaBuffers(this.arena, (arena) => this.useArena(arena));
    this.patchAt = new Uint32Array(capacity);
    this.positionAt = new Uint32Array(capacity);
    this.scoreAt = new Uint32Array(capacity);
    this.labels = new Int32Array(capacity);
    this.ids = new Array<string>(capacity);
    this.views = new Uint8Array(capacity);
  }

  private useArena(arena: Uint8Array): void {
    this.arena = arena;
    this.arena16 = new Uint16Array(arena.buffer, 0, arena.length / 2);
    this.arena32 = new Float32Array(arena.buffer, 0, arena.length / 4);
  }

  /**
   * Arena bytes for shard `entry` of a dataset with `meta`: its size, or for a compressed dataset
   * its rows uncompressed (the layout's row bytes, ids at the allowance, 16 bytes of alignment per
   * row), whichever is larger.
   */
  static arenaBytes(meta: DatasetMeta, entry: ManifestShard): number {
    // A JPEG-encoded dataset's arena also holds the decoded patches, after the bodies that carry the JPEGs.
    const pixels = meta.patchEncoding === undefined ? 0 : entry.rows * meta.k * patchBytes(meta) + 1024;
    if (meta.compression === undefined) return entry.bytes + pixels;
    return Math.max(entry.bytes, entry.rows * (rowBytes(meta) + 16) + 1024) + pixels;
  }

  /** Bytes a slot takes for arenas of `shardBytes` bytes (arenaBytes) and `capacity` rows (ids not counted). */
  static bytes(shardBytes: number, capacity: number): number {
    return align(shardBytes) + capacity * 16;
  }

  static forMeta(meta: DatasetMeta, capacity: number, shardBytes: number): ShardSlot {
    return new ShardSlot(meta.k * patchBytes(meta), meta.k, capacity, shardBytes);
  }

  /** Records the rows of a record batch that was read into the arena. */
  addBatch(b: TicketBatch): void {
    const at = this.rows;
    const patches = b.patches.byteOffset;
    const positions = b.positions.byteOffset / 2;
    const scores = b.scores.byteOffset / 4;
    for (let i = 0; i < b.numRows; i++) {
      this.patchAt[at + i] = patches + i * this.rowPatchBytes;
      this.positionAt[at + i] = positions + i * this.k;
      this.scoreAt[at + i] = scores + i * this.k;
      this.labels[at + i] = labelAt(b, i) ?? NO_LABEL;
      this.ids[at + i] = b.ids[i];
    }
    if (b.views) this.views.set(b.views, at);
    this.rows = at + b.numRows;
  }
}

/** Reads shard `ref` fully into `slot`, verifying it (and its sha256 when `verifyHash`); returns early once `stopped()`. */
export async function loadShard(sources: Sources, ref: ShardRef, slot: ShardSlot, verifyHash: boolean, stopped: () => boolean = () => false): Promise<void> {
  const ds = sources.datasets[ref.dataset];
  slot.rows = 0;
  slot.holds = null;
  slot.buffers.reset();
  if (ref.entry.rows > slot.capacity) {
    throw new ShardError(`${ref.entry.rows} rows do not fit the loader's slot of ${slot.capacity}`, { file: ds.store.describe(ref.entry.file) });
  }
  for await (const b of shardBatches(ds, ref.entry, decodeTicketBatch, slot.buffers, verifyHash)) {
    if (stopped()) {
      slot.rows = 0;
      return;
    }
    if (b.patches.buffer !== slot.arena.buffer) throw new ShardError('a record batch was not read into the slot', { file: ds.store.describe(ref.entry.file) });
    slot.addBatch(b);
  }
  slot.holds = ref;
}
