/**
 * The dataset writer: owns the shard lifecycle. Rows are buffered by a kind's encoder into record
 * batches of `rowsPerBatch` rows; shard j holds slots [j·R, (j+1)·R) (R = rowsPerShard); each shard
 * goes to a temporary name and is renamed when complete; a journal lets a rerun reuse complete
 * shards (re-hashed); `finalize()` writes manifest.json last, atomically.
 *
 * The first I/O failure is final: the open shard's temp is removed, a shard committed but not
 * journaled is removed too (only complete, journaled shards stay: what a rerun reuses), and every
 * later call rethrows that same error, so a stage that catches per-sample errors can neither
 * swallow it nor write on.
 */
import { join } from 'node:path';
import { InputError, ShardError } from '../util/errors.js';
import { fingerprint } from '../util/hash.js';
import { mkdirp, nodeFs, removeStaleTemps, writeFileAtomic, type Fs } from '../util/fsx.js';
import type { BatchEncoder } from './encode/encoder.js';
import { ScoreEncoder } from './encode/scores.js';
import { TicketEncoder } from './encode/tickets.js';
import { checkInflatable } from './compression.js';
import { hashFile } from './hashfile.js';
import { encodeSchemaMessage } from './ipc.js';
import { readJournal, removeJournal, writeJournal, type Journal, type JournalEntry } from './journal.js';
import { shardFileName, shardLayout, type LayoutOptions, type ShardLayout } from './layout.js';
import { buildManifest, MANIFEST_FILE, serializeManifest } from './manifest.js';
import { arrowSchema } from './schema.js';
import { ShardFile } from './shardfile.js';
import { DatasetKind, type DatasetMeta, type Manifest, type ManifestShard, type ScoreRow, type TicketRow } from './types.js';

export interface WriterOptions extends LayoutOptions {
  dir: string;
  meta: DatasetMeta;
  fs?: Fs;
  /** Reuse shards of an unfinished run with the same identity whose hash verifies (default true). */
  resume?: boolean;
  /** Extra identity of the run (e.g. the source fingerprint and size) for the resume journal. */
  runKey?: string;
}

export interface FinalizeResult {
  rows: number;
  shards: number;
  bytes: number;
  /** Shards reused from an earlier run. */
  reused: number;
  manifest: Manifest;
}

export class ShardWriter<Row, E extends BatchEncoder<Row> = BatchEncoder<Row>> {
  private readonly entries = new Map<number, ManifestShard>();
  private readonly schemaMessage: Uint8Array;
  private current: { index: number; file: ShardFile; auto: boolean } | null = null;
  private nextAuto = 0;
  /** Auto mode: rows still to drop because their shard was reused from an earlier run. */
  private skipping = 0;
  /** Rows appended to the open shard (flushed or still in the encoder). */
  private shardRows = 0;
  private reusedCount = 0;
  /** Shards are begun by the caller (beginShard), never opened by write(). */
  private explicit = false;
  /** The first I/O failure (see the module comment). */
  private failure: Error | null = null;

  private constructor(
    readonly dir: string,
    readonly meta: DatasetMeta,
    readonly layout: ShardLayout,
    readonly encoder: E,
    private readonly fs: Fs,
    private readonly journal: Journal,
    private readonly reused: Map<number, JournalEntry>,
  ) {
    this.schemaMessage = encodeSchemaMessage(arrowSchema(meta));
  }

  static async create<R, E2 extends BatchEncoder<R>>(options: WriterOptions, makeEncoder: (meta: DatasetMeta, rows: number) => E2): Promise<ShardWriter<R, E2>> {
    const fs = options.fs ?? nodeFs;
    const layout = shardLayout(options.meta, options);
    // rowsPerSlot follows from meta (its views): the key stays what it was before views existed.
    const { rowsPerSlot: _, ...sizes } = layout;
    const key = fingerprint({ meta: options.meta, layout: sizes, runKey: options.runKey ?? null });
    await mkdirp(options.dir, fs);
    await removeStaleTemps(options.dir, fs);
    const journal = options.resume === false ? { key, shards: {} } : await readJournal(options.dir, key, fs);
    const reused = await verifyJournal(options.dir, journal, fs);
    journal.shards = Object.fromEntries([...reused].map(([i, e]) => [String(i), e]));
    await fs.rm(join(options.dir, MANIFEST_FILE), { force: true });
    await writeJournal(options.dir, journal, fs);
    const encoder = makeEncoder(options.meta, layout.rowsPerBatch);
    return new ShardWriter<R, E2>(options.dir, options.meta, layout, encoder, fs, journal, reused);
  }

  /** A complete shard reused from an earlier run (hash verified), with its producer data. */
  reusedShard(index: number): JournalEntry | undefined {
    return this.reused.get(index);
  }

  /** Starts shard `index` (explicit mode). Reused shards are kept as they are: skip their rows. */
  async beginShard(index: number, auto = false): Promise<void> {
    this.throwIfFailed();
    if (this.current) throw new ShardError(`shard ${index} begun while shard ${this.current.index} is open`);
    this.explicit ||= !auto;
    const file = await this.io(() => ShardFile.create(join(this.dir, shardFileName(index)), this.schemaMessage, this.fs, this.meta.compression));
    this.current = { index, auto, file };
    this.shardRows = 0;
  }

  /** Rethrows the writer's first I/O failure, if any (a stage may have caught it as a sample's). */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Runs an I/O step; its failure becomes the writer's (see the module comment). */
  private async io<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
      await this.abort();
      throw err;
    }
  }

  /**
   * Appends a row to the open shard. Auto mode (no beginShard): shards are opened and cut every R
   * rows, and the rows of a full shard reused from an earlier run are dropped instead of rewritten.
   */
  async write(row: Row): Promise<void> {
    await this.writeVia((encoder) => encoder.append(row));
  }

  /** Appends a row through the encoder (e.g. TicketEncoder.appendFromGrid). */
  async writeVia(append: (encoder: E) => void): Promise<void> {
    this.throwIfFailed();
    if (!this.current && this.skipping === 0) {
      if (this.explicit) throw new ShardError('write() without an open shard (shards are begun with beginShard)');
      const index = this.nextAuto++;
      const reused = this.reused.get(index);
      const full = this.layout.rowsPerShard * this.layout.rowsPerSlot;
      if (reused && reused.shard.rows === full) this.skipping = full;
      else await this.beginShard(index, true);
    }
    if (this.skipping > 0) {
      this.skipping--;
      return;
    }
    const current = this.current as NonNullable<typeof this.current>;
    append(this.encoder);
    this.shardRows++;
    if (this.encoder.length === this.encoder.capacity) await this.flush();
    if (current.auto && this.shardRows === this.layout.rowsPerShard * this.layout.rowsPerSlot) await this.endShard();
  }

  /** Completes the open shard: last batch, end-of-stream, fsync, rename, journal. */
  async endShard(extra?: unknown): Promise<ManifestShard> {
    this.throwIfFailed();
    const current = this.current;
    if (!current) throw new ShardError('endShard() without an open shard');
    await this.flush();
    this.current = null;
    const name = shardFileName(current.index);
    const entry = await this.io(() => current.file.commit(name));
    this.journal.shards[String(current.index)] = extra === undefined ? { shard: entry } : { shard: entry, extra };
    await this.io(() => writeJournal(this.dir, this.journal, this.fs)).catch(async (err: unknown) => {
      // Not journaled, so no rerun could trust it: a committed shard never outlives a failed journal write.
      delete this.journal.shards[String(current.index)];
      await this.fs.rm(join(this.dir, name), { force: true }).catch(() => undefined);
      throw err;
    });
    this.entries.set(current.index, entry);
    return entry;
  }

  /**
   * Writes manifest.json (atomically, last) over shards 0 … count-1, or over the listed shard
   * indices (a worker's part: its pieces of those shards, no rowsPerShard); throws if any is missing.
   */
  async finalize(count?: number | readonly number[]): Promise<FinalizeResult> {
    this.throwIfFailed();
    if (this.current?.auto) await this.endShard();
    if (this.current) throw new ShardError(`finalize() with shard ${this.current.index} still open`);
    const part = Array.isArray(count);
    const indices: readonly number[] = Array.isArray(count) ? count : range(this.defaultCount(count as number | undefined));
    const shards: ManifestShard[] = [];
    for (const i of indices) {
      const entry = this.entries.get(i) ?? this.reused.get(i)?.shard;
      if (!entry) throw new ShardError(`shard ${i} (${shardFileName(i)}) was never written`, { file: this.dir });
      if (!this.entries.has(i)) this.reusedCount++;
      shards.push(entry);
    }
    const manifest = buildManifest(this.meta, shards, part ? undefined : this.layout.rowsPerShard);
    await this.io(() => writeFileAtomic(join(this.dir, MANIFEST_FILE), serializeManifest(manifest), this.fs));
    await this.io(() => removeJournal(this.dir, this.fs));
    const bytes = shards.reduce((b, s) => b + s.bytes, 0);
    return { rows: manifest.rows, shards: shards.length, bytes, reused: this.reusedCount, manifest };
  }

  private defaultCount(count: number | undefined): number {
    return count ?? (this.nextAuto > 0 ? this.nextAuto : Math.max(0, ...[...this.entries.keys()].map((i) => i + 1)));
  }

  /** Drops the open shard's temporary file (after an error here or elsewhere). Never throws. */
  async abort(): Promise<void> {
    const current = this.current;
    this.current = null;
    this.encoder.reset();
    await current?.file.abort();
  }

  private async flush(): Promise<void> {
    const current = this.current;
    if (!current || this.encoder.length === 0) return;
    await this.encoder.prepare?.();
    const batch = this.encoder.layout();
    const codec = this.meta.compression;
    await this.io(async () => {
      if (codec !== undefined) checkInflatable(this.meta, batch, current.file.path);
      await current.file.writeBatch(batch);
    });
    this.encoder.reset();
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

async function verifyJournal(dir: string, journal: Journal, fs: Fs): Promise<Map<number, JournalEntry>> {
  const out = new Map<number, JournalEntry>();
  for (const [key, entry] of Object.entries(journal.shards)) {
    const index = Number(key);
    if (!Number.isSafeInteger(index) || entry.shard?.file !== shardFileName(index)) continue;
    const digest = await hashFile(join(dir, entry.shard.file), fs).catch(() => null);
    if (digest && digest.bytes === entry.shard.bytes && digest.sha256 === entry.shard.sha256) out.set(index, entry);
  }
  return out;
}

export function createTicketWriter(options: WriterOptions): Promise<ShardWriter<TicketRow, TicketEncoder>> {
  if (options.meta.kind !== DatasetKind.Tickets) throw new InputError(`meta.kind is ${options.meta.kind}, expected tickets`);
  return ShardWriter.create(options, (meta, rows) => new TicketEncoder(meta, rows));
}

export function createScoreWriter(options: WriterOptions): Promise<ShardWriter<ScoreRow, ScoreEncoder>> {
  if (options.meta.kind !== DatasetKind.Scores) throw new InputError(`meta.kind is ${options.meta.kind}, expected scores`);
  return ShardWriter.create(options, (meta, rows) => new ScoreEncoder(meta, rows));
}
