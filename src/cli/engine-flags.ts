/**
 * The flags of a sharded stage's engine (`dlth score`, `dlth materialize`): -o/--out, --worker,
 * --concurrency, --shard-mb, --compression, --max-failures, --force, -q. One declaration, one parser; their
 * defaults are the engine's (src/engine/options.ts), as a pipeline's are.
 */
import { Option, type Command } from 'commander';
import { COMPRESSIONS } from '../shards/compression.js';
import type { Compression } from '../shards/types.js';
import { DEFAULT_SHARD_MB, ENGINE_DEFAULTS, type EngineOptions } from '../engine/options.js';
import { parseWorker } from '../pipeline/worker.js';
import { localPath } from '../util/local-path.js';
import { parseNumber } from './numbers.js';

export interface EngineFlags {
  out: string;
  worker?: string;
  concurrency: string;
  shardMb: string;
  compression: Compression;
  maxFailures: string;
  force?: boolean;
  quiet?: boolean;
}

/** Declares the engine flags; `what` names the output in help (e.g. "score dataset"). */
export function addEngineOptions(cmd: Command, what: string): Command {
  return cmd
    .requiredOption('-o, --out <dir>', `output ${what} directory`)
    .option('--worker <i/N>', 'job array: only worker i of N\'s rows of the sorted source, into <out>/workers/<i>-of-<N> (then `dlth merge <out>`)')
    .option('--concurrency <n>', 'images decoded at once', String(ENGINE_DEFAULTS.concurrency))
    .option('--shard-mb <MiB>', 'target shard size', String(DEFAULT_SHARD_MB))
    .addOption(new Option('--compression <codec>', 'record-batch body compression of the shards (Arrow IPC; pyarrow, datasets and polars read it)')
      .choices(COMPRESSIONS).default(ENGINE_DEFAULTS.compression))
    .option('--max-failures <n>', 'undecodable images tolerated (recorded in errors.jsonl)', String(ENGINE_DEFAULTS.maxFailures))
    .option('--force', 'replace a finished dataset of another configuration in --out (built beside it, swapped in when complete)')
    .option('-q, --quiet', 'no progress output');
}

/** The engine options the flags give (`batchSize`: the command's own flag, where it has one). */
export function engineOptions(flags: EngineFlags, batchSize?: number): EngineOptions {
  return {
    out: localPath('--out', flags.out),
    worker: flags.worker ? parseWorker(flags.worker) : null,
    concurrency: parseNumber('concurrency', flags.concurrency, { integer: true, min: 1, max: 1024 }),
    shardBytes: Math.round(parseNumber('shard-mb', flags.shardMb, { min: 1 / 1024, max: 1024 * 1024 }) * 1024 * 1024),
    compression: flags.compression,
    maxFailures: parseNumber('max-failures', flags.maxFailures, { integer: true, min: 0 }),
    force: flags.force ?? false,
    progress: !flags.quiet,
    ...(batchSize !== undefined ? { batchSize } : {}),
  };
}
