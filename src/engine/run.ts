/**
 * runSharded: the one engine of the sharded stages (score, materialize). It owns the worker
 * partition, the batching on the global grid, the ordered bounded decode, the output lock, reuse or
 * replacement of a finished dataset, the shard lifecycle (hash-verified reuse, commit, abort),
 * errors.jsonl and progress. A stage hands it a writer factory, a per-sample `load` and a per-batch
 * `process` that appends rows; nothing else.
 */
import type { MapResult } from '../patchify/pool.js';
import { COMPRESSIONS, metaCodec } from '../shards/compression.js';
import { shardLayout } from '../shards/layout.js';
import { ENGINE_DEFAULTS, type EngineOptions } from './options.js';
import type { Compression, DatasetMeta, Manifest } from '../shards/types.js';
import type { FinalizeResult, ShardWriter, WriterOptions } from '../shards/writer.js';
import type { BatchEncoder } from '../shards/encode/encoder.js';
import type { Source } from '../sources/types.js';
import { stopSignal, throwIfStopped } from '../util/abort.js';
import { InputError, show } from '../util/errors.js';
import { nodeFs, removeStaleTemps, type Fs } from '../util/fsx.js';
import { removeJournal } from '../shards/journal.js';
import { createProgress, type Progress } from '../util/progress.js';
import { decodeBatches } from './decode.js';
import { commitFailures, failureRecord, readFailures, type FailureRecord } from './failures.js';
import { acquireLock } from './lock.js';
import { planOutput } from './output.js';
import { workerDatasetDir, writePart, type PartInfo, type PartPiece } from './part.js';
import { shardPiece, shardsOf, workerRange, type RowRange, type WorkerSlot } from './partition.js';

export interface Decoded<T> {
  index: number;
  value: T;
}

/** A sample that failed in `process` (after decoding). */
export interface SampleFailure {
  index: number;
  error: Error;
}

export interface ShardedStage<T, Row, E extends BatchEncoder<Row>> {
  /** Progress label (`score`, `materialize`). */
  label: string;
  source: Source;
  meta: DatasetMeta;
  createWriter(options: WriterOptions): Promise<ShardWriter<Row, E>>;
  /** Extra identity of the run for the resume journal (e.g. the score dataset's fingerprint). */
  runKey?: string;
  /** Decodes sample `index` of the sorted source. */
  load(index: number): Promise<T>;
  /** Appends the rows of one batch (in order) through the writer; returns samples that failed. */
  process(batch: readonly Decoded<T>[], writer: ShardWriter<Row, E>): Promise<SampleFailure[]>;
}

export interface EngineResult extends FinalizeResult {
  failures: number;
  /** The directory written (the worker's part in worker mode). */
  dir: string;
  /** True when a finished dataset of the same configuration was reused as it was. */
  upToDate: boolean;
  /** Samples processed per second (decode + compute + write), 0 when reused. */
  samplesPerSec: number;
}

export type { EngineOptions };

type Resolved = EngineOptions & Required<Pick<EngineOptions, 'batchSize' | 'concurrency' | 'align' | 'shardBytes' | 'batchBytes' | 'compression' | 'maxFailures' | 'force' | 'progress'>>;

/** The options with ENGINE_DEFAULTS filled in; an InputError on a bad value. */
function resolveOptions(given: EngineOptions): Resolved {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as EngineOptions;
  const batchSize = defined.batchSize ?? ENGINE_DEFAULTS.batchSize;
  const o: Resolved = { ...ENGINE_DEFAULTS, align: batchSize, ...defined, batchSize };
  for (const [name, v] of [['batchSize', o.batchSize], ['concurrency', o.concurrency], ['align', o.align], ['shardBytes', o.shardBytes], ['batchBytes', o.batchBytes]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new InputError(`${name} must be a positive integer, got ${show(v)}`);
  }
  if (!Number.isSafeInteger(o.maxFailures) || o.maxFailures < 0) throw new InputError(`maxFailures must be a non-negative integer, got ${show(o.maxFailures)}`);
  if (o.align % o.batchSize !== 0) throw new InputError(`align ${o.align} is not a multiple of the batch size ${o.batchSize}`);
  if (!COMPRESSIONS.includes(o.compression)) throw new InputError(`compression must be one of ${COMPRESSIONS.join(', ')}, got ${show(o.compression)}`);
  return o;
}

function reusedResult(manifest: Manifest, dir: string, failures: number): EngineResult {
  const bytes = manifest.shards.reduce((b, s) => b + s.bytes, 0);
  return { rows: manifest.rows, shards: manifest.shards.length, bytes, reused: manifest.shards.length, manifest, failures, dir, upToDate: true, samplesPerSec: 0 };
}

/** Runs a sharded stage over its worker's rows; see the module comment. */
export async function runSharded<T, Row, E extends BatchEncoder<Row>>(plainStage: ShardedStage<T, Row, E>, given: EngineOptions): Promise<EngineResult> {
  const options = resolveOptions(given);
  const stage = withCompression(plainStage, options.compression);
  const fs = options.fs ?? nodeFs;
  const worker = options.worker ?? null;
  const target = workerDatasetDir(options.out, worker);
  const layout = shardLayout(stage.meta, options);
  const part = worker ? partInfo(stage.source.size, worker, layout.rowsPerShard, options) : null;
  const lock = await acquireLock(target);
  try {
    const identity = part ? { meta: stage.meta, part } : { meta: stage.meta, rowsPerShard: layout.rowsPerShard };
    const plan = await planOutput(target, identity, options.force, fs);
    if (plan.kind === 'reuse') {
      // A process killed between the manifest and the clean-up leaves the writer's scratch behind.
      await removeJournal(target, fs);
      await removeStaleTemps(target, fs);
      return reusedResult(plan.manifest, target, (await readFailures(target, fs)).length);
    }
    try {
      const result = await writeAll(stage, options, plan.dir, part, fs);
      await plan.commit();
      return { ...result, dir: target };
    } catch (err) {
      await plan.discard();
      throw err;
    }
  } finally {
    await lock.release();
  }
}

/** The stage with `meta.compression` set from the engine option (absent for none): part of the dataset's identity. */
function withCompression<S extends { meta: DatasetMeta }>(stage: S, compression: Compression): S {
  const { compression: _, ...plain } = stage.meta;
  const codec = metaCodec(compression);
  return { ...stage, meta: codec === undefined ? plain : { ...plain, compression: codec } };
}

/** Journal `extra` of a reused shard back to failure records (it is our own file, but checked). */
function asFailures(extra: unknown): FailureRecord[] {
  if (!Array.isArray(extra)) return [];
  return extra.filter((r): r is FailureRecord => typeof r === 'object' && r !== null && typeof (r as FailureRecord).index === 'number'
    && typeof (r as FailureRecord).id === 'string' && typeof (r as FailureRecord).file === 'string' && typeof (r as FailureRecord).reason === 'string');
}

/** The shards that rows `range` of `n` touch, each with the rows of it the range holds. */
function piecesOf(range: RowRange, rowsPerShard: number, n: number): PartPiece[] {
  return shardsOf(range, rowsPerShard).map((j) => ({ shard: j, ...(shardPiece(j, rowsPerShard, n, range) as RowRange) }));
}

/** Where worker `worker`'s rows sit in the whole dataset (its part.json). */
function partInfo(n: number, worker: WorkerSlot, rowsPerShard: number, options: Resolved): PartInfo {
  const align = options.align;
  const range = workerRange(n, worker, align);
  const pieces = piecesOf(range, rowsPerShard, n);
  return {
    worker, slots: n, rowsPerShard, shardBytes: options.shardBytes, batchBytes: options.batchBytes, align, range, pieces,
  };
}

async function writeAll<T, Row, E extends BatchEncoder<Row>>(stage: ShardedStage<T, Row, E>, options: Resolved, dir: string, part: PartInfo | null, fs: Fs): Promise<EngineResult> {
  const n = stage.source.size;
  const range = part?.range ?? { start: 0, end: n };
  const writer = await stage.createWriter({ dir, meta: stage.meta, fs, shardBytes: options.shardBytes, batchBytes: options.batchBytes,
    runKey: `${stage.source.fingerprint}:${n}:${range.start}-${range.end}:${options.batchSize}:${options.align}:${stage.runKey ?? ''}` });
  const R = writer.layout.rowsPerShard;
  const pieces = part?.pieces ?? piecesOf(range, R, n);
  const progress = createProgress({ label: stage.label, total: range.end - range.start, unit: 'img', quiet: !options.progress });
  const signal = options.signal ?? stopSignal;
  const failures: FailureRecord[] = [];
  const started = performance.now();
  let done = 0;
  try {
    for (const piece of pieces) {
      throwIfStopped(signal);
      const reused = writer.reusedShard(piece.shard);
      if (reused) {
        failures.push(...asFailures(reused.extra));
        progress.tick(piece.end - piece.start, `shard ${piece.shard} reused`);
        continue;
      }
      const pieceFailures = await writePiece(stage, writer, piece, options, progress, signal);
      failures.push(...pieceFailures);
      done += piece.end - piece.start;
    }
    await commitFailures(dir, failures, options.maxFailures, fs);
    const result = await writer.finalize(part ? pieces.map((p) => p.shard) : Math.ceil(n / R));
    if (part) await writePart(dir, part, fs);
    progress.done(`${result.rows} rows in ${result.shards} shards`);
    const seconds = (performance.now() - started) / 1000;
    return { ...result, failures: failures.length, dir, upToDate: false, samplesPerSec: seconds > 0 ? done / seconds : 0 };
  } catch (err) {
    await writer.abort();
    // An I/O failure of the writer is the cause of whatever failed after it: it wins.
    writer.throwIfFailed();
    throw err;
  }
}

async function writePiece<T, Row, E extends BatchEncoder<Row>>(
  stage: ShardedStage<T, Row, E>, writer: ShardWriter<Row, E>, piece: PartPiece, options: Resolved, progress: Progress, signal: AbortSignal,
): Promise<FailureRecord[]> {
  await writer.beginShard(piece.shard);
  const failures: FailureRecord[] = [];
  const record = (index: number, error: Error): void => {
    failures.push(failureRecord(stage.source, index, error));
  };
  for await (const batch of decodeBatches(piece, (i) => stage.load(i), options)) {
    throwIfStopped(signal);
    const ok = splitBatch(batch, record);
    const failed = ok.length > 0 ? await stage.process(ok, writer) : [];
    // A stage that catches per-sample errors may have caught the writer's I/O failure: never a sample's.
    writer.throwIfFailed();
    for (const f of failed) record(f.index, f.error);
    progress.tick(batch.length);
  }
  // Decode failures come before process failures of the same batch: put them in source order once.
  failures.sort((a, b) => a.index - b.index);
  await writer.endShard(failures);
  return failures;
}

function splitBatch<T>(batch: readonly MapResult<T>[], record: (index: number, error: Error) => void): Decoded<T>[] {
  const ok: Decoded<T>[] = [];
  for (const r of batch) {
    if (r.ok) ok.push({ index: r.index, value: r.value });
    else record(r.index, r.error);
  }
  return ok;
}
