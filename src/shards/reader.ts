/**
 * The dataset reader, mirroring the writer: validates the manifest (schema, version, safe names,
 * bounds), then streams each shard — size against the manifest, Arrow schema and metadata against
 * the manifest, every record batch's layout and values (decompressed first when the dataset is
 * compressed), row counts, and optionally the sha256 — yielding record batches as typed-array views
 * into reused buffers.
 */
import { ManifestError, ShardError } from '../util/errors.js';
import { newSha256 } from '../util/hash.js';
import type { Fs } from '../util/fsx.js';
import { inflateBatch } from './decode/compression.js';
import { isCompressed, ReadBuffers, StreamParser } from './decode/stream.js';
import { decodeScoreBatch, type ScoreBatch } from './decode/scores.js';
import { decodeTicketBatch, type TicketBatch } from './decode/tickets.js';
import { MessageHeader, type BatchHeader } from './ipc.js';
import { MANIFEST_FILE, parseManifest } from './manifest.js';
import { checkSchema } from './schema.js';
import { LocalStore, type DatasetStore } from './store.js';
import { DatasetKind, type DatasetMeta, type Manifest, type ManifestShard } from './types.js';
import type { Schema } from 'apache-arrow';

export interface Dataset {
  store: DatasetStore;
  manifest: Manifest;
  meta: DatasetMeta;
}

export interface ReadOptions {
  /** Check each shard's sha256 while reading (throws at the end of a mismatching shard). Default false. */
  verifyHash?: boolean;
  /** Read only these shard indices (into manifest.shards), in this order. Default: all. */
  shards?: readonly number[];
}

/** Opens a dataset (a directory path or a store) and validates its manifest. */
export async function openDataset(location: string | DatasetStore, options: { kind?: DatasetKind; fs?: Fs } = {}): Promise<Dataset> {
  const store = typeof location === 'string' ? new LocalStore(location, options.fs) : location;
  const manifest = parseManifest(await store.readManifest(), store.describe(MANIFEST_FILE));
  if (options.kind && manifest.kind !== options.kind) {
    throw new ManifestError(`dataset kind is ${manifest.kind}, expected ${options.kind}`, { file: store.describe(MANIFEST_FILE) });
  }
  return { store, manifest, meta: manifest.meta };
}

type Decode<B> = (header: BatchHeader, body: Uint8Array, meta: DatasetMeta, file: string, buffers: ReadBuffers) => B | Promise<B>;

/** Streams one shard's record batches (views valid until the next one is requested). */
export async function* shardBatches<B extends { numRows: number }>(
  ds: Dataset, entry: ManifestShard, decode: Decode<B>, buffers: ReadBuffers, verifyHash: boolean,
): AsyncGenerator<B> {
  const file = ds.store.describe(entry.file);
  const size = await ds.store.size(entry.file);
  if (size !== entry.bytes) throw new ShardError(`size is ${size} bytes, the manifest says ${entry.bytes}`, { file });
  const hash = verifyHash ? newSha256() : null;
  const src = await ds.store.openShard(entry.file);
  try {
    const parser = new StreamParser(src, file, size, buffers, hash);
    const first = await parser.next();
    if (!first || first.type !== MessageHeader.Schema) throw parser.error('the stream does not start with a schema message');
    checkSchema(first.header as Schema, ds.meta, file);
    let rows = 0;
    for (let msg = await parser.next(); msg; msg = await parser.next()) {
      if (msg.type !== MessageHeader.RecordBatch) throw parser.error(`unexpected message type ${msg.type} (only record batches may follow the schema)`);
      if (!isCompressed(msg) && ds.meta.compression !== undefined) throw parser.error(`uncompressed record batch in a dataset compressed with ${ds.meta.compression}`);
      const plain = isCompressed(msg)
        ? inflateBatch(msg.header as BatchHeader, msg.body, ds.meta, entry.rows - rows, file, (n) => buffers.ensureBody(n))
        : { header: msg.header as BatchHeader, body: msg.body };
      const batch = await decode(plain.header, plain.body, ds.meta, file, buffers);
      rows += batch.numRows;
      if (rows > entry.rows) throw parser.error(`more rows than the manifest's ${entry.rows}`);
      yield batch;
    }
    if (rows !== entry.rows) throw parser.error(`${rows} rows, the manifest says ${entry.rows}`);
    if (parser.position !== size) throw parser.error(`stream ends at byte ${parser.position} of ${size}`);
    const digest = hash?.digest('hex');
    if (digest !== undefined && digest !== entry.sha256) throw parser.error(`sha256 ${digest} differs from the manifest's ${entry.sha256}`);
  } finally {
    await src.close();
  }
}

async function* datasetBatches<B extends { numRows: number }>(ds: Dataset, kind: DatasetKind, decode: Decode<B>, options: ReadOptions): AsyncGenerator<B> {
  if (ds.manifest.kind !== kind) throw new ManifestError(`dataset kind is ${ds.manifest.kind}, expected ${kind}`, { file: ds.store.describe(MANIFEST_FILE) });
  const buffers = new ReadBuffers();
  const order = options.shards ?? ds.manifest.shards.map((_, i) => i);
  for (const i of order) {
    const entry = ds.manifest.shards[i];
    if (!entry) throw new ManifestError(`no shard ${i} (the dataset has ${ds.manifest.shards.length})`, { file: ds.store.location });
    yield* shardBatches(ds, entry, decode, buffers, options.verifyHash ?? false);
  }
}

/** Ticket record batches: typed-array views valid until the iterator advances. */
export function ticketBatches(ds: Dataset, options: ReadOptions = {}): AsyncGenerator<TicketBatch> {
  return datasetBatches(ds, DatasetKind.Tickets, decodeTicketBatch, options);
}

/** Score record batches: typed-array views valid until the iterator advances. */
export function scoreBatches(ds: Dataset, options: ReadOptions = {}): AsyncGenerator<ScoreBatch> {
  return datasetBatches(ds, DatasetKind.Scores, decodeScoreBatch, options);
}
