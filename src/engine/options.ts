/**
 * How a sharded stage (score, materialize) runs: where it writes and how it splits, decodes and
 * shards its work. One type and one set of defaults, shared by the library, the CLI commands
 * (their flag defaults are these) and pipelines (the stage context builds it once per stage).
 * None of these but `compression` change a dataset's bytes: a run writes the same shards whatever
 * the concurrency, worker split or shard size (the batch grid is part of the resume identity, not
 * of the output). `compression` is recorded in the dataset's meta (meta.compression).
 */
import { DEFAULT_BATCH_BYTES, DEFAULT_SHARD_BYTES } from '../shards/layout.js';
import { Compression } from '../shards/types.js';
import type { Fs } from '../util/fsx.js';
import type { WorkerSlot } from './partition.js';

export interface EngineOptions {
  /** The dataset directory (worker i of N writes `<out>/workers/<i>-of-<N>`). */
  out: string;
  /** Worker i of N of a job array: only its rows of the sorted source. Default: the whole source. */
  worker?: WorkerSlot | null;
  /** Batch grid (and the partition's alignment; score: images per forward pass). */
  batchSize?: number;
  /** Decodes running at once. */
  concurrency?: number;
  /** Worker ranges start on multiples of this (a multiple of batchSize; default batchSize). */
  align?: number;
  /** Target shard size in bytes. */
  shardBytes?: number;
  /** Target record-batch size in bytes. */
  batchBytes?: number;
  /** Record-batch body compression of the shards written (Arrow IPC LZ4_FRAME or ZSTD), or none. */
  compression?: Compression;
  /** Failed samples tolerated before the run fails. */
  maxFailures?: number;
  /** Replace a finished dataset of another configuration (built beside it, swapped in when complete). */
  force?: boolean;
  /** Progress with rate and ETA on stderr. */
  progress?: boolean;
  signal?: AbortSignal;
  fs?: Fs;
}

export const ENGINE_DEFAULTS = {
  batchSize: 32,
  concurrency: 4,
  shardBytes: DEFAULT_SHARD_BYTES,
  batchBytes: DEFAULT_BATCH_BYTES,
  compression: Compression.None as Compression,
  maxFailures: 0,
  force: false,
  progress: true,
} as const;

/** The shard size in MiB as the CLI's `--shard-mb` default shows it. */
export const DEFAULT_SHARD_MB = ENGINE_DEFAULTS.shardBytes / (1024 * 1024);
