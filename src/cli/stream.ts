import { parseNumber } from './numbers.js';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { InputError, show } from '../util/errors.js';
import { localPath } from '../util/local-path.js';
import { stopSignal, throwIfStopped } from '../util/abort.js';
import { createProgress } from '../util/progress.js';
import { ArrowStreamEncoder } from '../loader/arrow-out.js';
import { VIEW_NAMES, type ViewName } from '../loader/views.js';
import { PipeSink } from '../loader/sink.js';
import { parseState, type LoaderState } from '../loader/state.js';
import { TicketLoader } from '../loader/loader.js';
import type { LoaderOptions } from '../loader/options.js';
import { PARTITION_NAMES, type PartitionName } from '../loader/partition.js';
import { SHUFFLE_NAMES, type ShuffleName } from '../loader/shuffle/index.js';
import { MAX_VIEWS } from '../views/spec.js';

interface StreamFlags {
  allowMixedPreprocessing?: boolean;
  epoch: string;
  seed: string;
  rank: string;
  world: string;
  batch: string;
  shuffle: string;
  block: string;
  partition: string;
  flip?: boolean;
  limit?: string;
  resume?: string;
  verify: string;
  timeout: string;
  minRate: string;
  deadline?: string;
  quiet?: boolean;
  view: string;
  maxPatches?: string;
  viewIndex?: string;
}

const integer = (name: string, raw: string, min = 0): number => parseNumber(name, raw, { integer: true, min });

function choice<T extends string>(name: string, raw: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(raw)) throw new InputError(`--${name} must be one of ${values.join(', ')}, got ${show(raw)}`);
  return raw as T;
}

function loaderOptions(f: StreamFlags): LoaderOptions {
  return {
    seed: integer('seed', f.seed),
    rank: integer('rank', f.rank),
    world: integer('world', f.world, 1),
    batchSize: integer('batch', f.batch, 1),
    shuffle: choice<ShuffleName>('shuffle', f.shuffle, SHUFFLE_NAMES),
    block: integer('block', f.block, 1),
    partition: choice<PartitionName>('partition', f.partition, PARTITION_NAMES),
    flip: f.flip ?? false,
    allowMixedPreprocessing: f.allowMixedPreprocessing ?? false,
    limit: f.limit === undefined ? undefined : integer('limit', f.limit),
    viewIndex: f.viewIndex === undefined ? undefined : parseNumber('view-index', f.viewIndex, { integer: true, min: 0, max: MAX_VIEWS - 1 }),
    verify: choice('verify', f.verify, ['always', 'first'] as const),
    http: {
      timeoutMs: integer('timeout', f.timeout, 1) * 1000,
      minBytesPerSec: integer('min-rate', f.minRate),
      ...(f.deadline === undefined ? {} : { deadlineMs: integer('deadline', f.deadline, 1) * 1000 }),
    },
  };
}

async function readResume(path: string): Promise<LoaderState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the resume state (${String(err)})`, { file: path, cause: err });
  }
  try {
    return parseState(JSON.parse(text), path);
  } catch (err) {
    if (err instanceof SyntaxError) throw new InputError(`resume state is not JSON: ${err.message}`, { file: path });
    throw err;
  }
}

export function registerStream(program: Command): void {
  program
    .command('stream')
    .description("write the loader's batches to stdout as an Arrow IPC stream (one record batch per loader batch; read with pyarrow.ipc.open_stream)")
    .argument('<dataset...>', 'ticket dataset directories or http(s) URLs (concatenated; same k, patch size, channels, grid)')
    .option('--epoch <n>', 'epoch (with the seed, fixes the order)', '0')
    .option('--seed <n>', 'seed of shuffles and flips', '0')
    .option('--rank <i>', 'this rank (0-based)', '0')
    .option('--world <n>', 'number of ranks', '1')
    .option('--batch <n>', 'samples per batch', '64')
    .option('--shuffle <name>', `shuffle algorithm: ${SHUFFLE_NAMES.join(', ')}`, 'block')
    .option('--block <n>', 'window of the block shuffle, in samples', '2048')
    .option('--partition <mode>', `uneven counts across ranks: ${PARTITION_NAMES.join(', ')}`, 'pad')
    .option('--flip', 'random exact horizontal flips (per sample, seeded)')
    .option('--allow-mixed-preprocessing', 'read datasets made with different preprocessing (resize, crop, mean/std) together; by default they are refused, naming both')
    .option('--limit <n>', 'at most n samples of this rank')
    .option('--resume <state.json>', 'continue from a saved loader state (a batch state; see the loader docs)')
    .option('--verify <when>', 'sha256 of shards: always | first (local shards hashed once)', 'always')
    .option('--timeout <sec>', 'HTTP timeout for headers and between body chunks', '30')
    .option('--min-rate <bytes/s>', 'HTTP: slowest average transfer accepted once a body has run for --timeout (0: any)', '1024')
    .option('--deadline <sec>', 'HTTP: overall deadline of one request (default: none)')
    .option('--view <name>', `what each row holds: ${VIEW_NAMES.join(' | ')} (sparse: the shard columns; naflex: padded patches, coords, mask; zero: the normalised image with dropped patches 0, for Swin/CNNs; packed: the kept patches on a √k×√k grid)`, 'sparse')
    .option('--max-patches <n>', 'naflex: patches per row after zero padding (≥ k; default k)')
    .option('--view-index <i>', 'datasets with K views: always this view (0: the plain view, for evaluation); default: a random view 1…K−1 per sample and epoch')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (datasets: string[], flags: StreamFlags) => {
      const epoch = integer('epoch', flags.epoch);
      const loader = await TicketLoader.open(datasets, loaderOptions(flags));
      const resume = flags.resume === undefined ? undefined : await readResume(localPath('--resume', flags.resume));
      const view = { name: choice<ViewName>('view', flags.view, VIEW_NAMES), ...(flags.maxPatches === undefined ? {} : { maxPatches: integer('max-patches', flags.maxPatches, 1) }) };
      const encoder = new ArrowStreamEncoder(loader.meta, view, loader.k);
      const sink = new PipeSink(process.stdout);
      const progress = createProgress({ label: 'dlth stream', unit: 'samples', total: loader.samplesPerEpoch() - (resume?.consumed ?? 0), quiet: flags.quiet ?? false });
      if (!(await sink.write([encoder.schemaMessage()]))) return;
      for await (const batch of loader.batches(epoch, resume)) {
        throwIfStopped(stopSignal);
        if (!(await sink.write(encoder.encode(batch)))) {
          progress.done('reader closed the pipe');
          return;
        }
        progress.tick(batch.size);
      }
      await sink.write([encoder.endOfStream()]);
      progress.done();
    });
}
