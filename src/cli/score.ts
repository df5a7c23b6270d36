/** `dlth score`: one source → a score dataset (per-patch selector scores and the full rank). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { initBackend } from '../backend/index.js';
import { parseBackendName } from '../backend/options.js';
import { resolvePatchifyConfig } from '../patchify/index.js';
import { modeNames, scoreSource, SCORE_DEFAULTS, type ModeOptions } from '../scoring/index.js';
import { openSource } from '../sources/index.js';
import type { SourceConfig } from '../sources/types.js';
import { InputError, show } from '../util/errors.js';
import { formatRate } from '../util/progress.js';
import { parseWorker } from '../pipeline/worker.js';
import { formatBytes } from './verify.js';

interface ScoreFlags {
  source: string;
  root?: string;
  file?: string;
  split?: string;
  limit?: string;
  checkpoint?: string;
  model?: string;
  mode: string;
  rate?: string;
  blocks?: string;
  layer?: string;
  batchSize: string;
  out: string;
  imageSize: string;
  patchSize: string;
  channels: string;
  resize?: string;
  backend?: string;
  worker?: string;
  shardMb: string;
  maxFailures: string;
  quiet?: boolean;
}

function num(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new InputError(`--${flag} is ${show(text)}, expected a number`);
  return v;
}

function list(flag: string, text: string | undefined): number[] | undefined {
  return text === undefined ? undefined : text.split(',').map((t) => num(flag, t.trim()) as number);
}

/** Same flags as `dlth materialize` (--source idx|imagefolder|jsonl with --root/--file). */
function sourceFromFlags(flags: ScoreFlags): SourceConfig {
  const need = (name: 'root' | 'file'): string => {
    const v = flags[name];
    if (v === undefined) throw new InputError(`--source ${flags.source} needs --${name}`);
    return resolve(v);
  };
  switch (flags.source) {
    case 'idx': {
      const split = flags.split ?? 'train';
      if (split !== 'train' && split !== 'test') throw new InputError(`--split must be train or test, got ${show(split)}`);
      return { kind: 'idx', dir: need('root'), split, ...(flags.limit ? { limit: num('limit', flags.limit) } : {}) };
    }
    case 'imagefolder':
      return { kind: 'imagefolder', root: need('root') };
    case 'jsonl':
      return { kind: 'jsonl', file: need('file') };
    default:
      throw new InputError(`--source must be idx, imagefolder or jsonl, got ${show(flags.source)}`);
  }
}

function modeOptions(flags: ScoreFlags): ModeOptions {
  const o: ModeOptions = {};
  if (flags.rate !== undefined) o.rate = num('rate', flags.rate);
  if (flags.blocks !== undefined) o.blocks = list('blocks', flags.blocks);
  if (flags.layer !== undefined) o.layer = num('layer', flags.layer);
  return o;
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('score every patch of every image with a selector ViT (EViT by default) into a score dataset')
    .requiredOption('--source <kind>', 'idx | imagefolder | jsonl')
    .option('--root <dir>', 'idx directory or imagefolder root')
    .option('--file <path>', 'jsonl file')
    .option('--split <name>', 'idx split: train | test', 'train')
    .option('--limit <n>', 'idx: first n samples only')
    .option('--checkpoint <file>', 'selector weights: ours, HF or timm safetensors (omit for random weights: benchmarks only)')
    .option('--model <variant>', 'model variant (needed for HF/timm files without config.json), e.g. deit-small-patch16-224')
    .option('--mode <name>', `scoring mode: ${modeNames().join(' | ')}`, SCORE_DEFAULTS.mode)
    .option('--rate <r>', 'evit: keep rate per pruning block, in (0, 1] (default 0.7)')
    .option('--blocks <list>', 'evit: 0-based pruning blocks, e.g. 3,6,9 (default: quarter points of the depth)')
    .option('--layer <i>', 'cls-attn: layer whose CLS attention scores patches (default: last; negative counts from the end)')
    .option('--batch-size <n>', 'images per forward pass', String(SCORE_DEFAULTS.batchSize))
    .requiredOption('-o, --out <dir>', 'output score dataset directory')
    .option('--image-size <px>', 'image side (or HxW)', '224')
    .option('--patch-size <px>', 'patch side', '16')
    .option('--channels <n>', '1 or 3', '3')
    .option('--resize <mode>', 'deit | shorter | none')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu (default: DLTH_BACKEND or auto)')
    .option('--worker <i/N>', 'score only worker i of N\'s partition of the sorted source')
    .option('--shard-mb <MiB>', 'target shard size', '256')
    .option('--max-failures <n>', 'undecodable images tolerated', '0')
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: ScoreFlags) => {
      const [h, w] = flags.imageSize.split(/[x×]/).map(Number);
      const patchify = resolvePatchifyConfig({
        imageSize: w === undefined ? h : [h, w],
        patchSize: Number(flags.patchSize),
        channels: Number(flags.channels) as 1 | 3,
        ...(flags.resize ? { resize: flags.resize as 'deit' } : {}),
      });
      const info = await initBackend(flags.backend ? { backend: parseBackendName(flags.backend, '--backend') } : {});
      const config = sourceFromFlags(flags);
      const source = await openSource(config);
      const r = await scoreSource({
        source, patchify, out: resolve(flags.out),
        selector: { checkpoint: flags.checkpoint ? resolve(flags.checkpoint) : undefined, model: flags.model },
        mode: flags.mode, params: modeOptions(flags), batchSize: num('batch-size', flags.batchSize),
        worker: flags.worker ? parseWorker(flags.worker) : null, maxFailures: num('max-failures', flags.maxFailures),
        shardBytes: Math.round(Number(flags.shardMb) * 1024 * 1024), progress: !flags.quiet,
        split: config.kind === 'idx' ? config.split : undefined,
      });
      const params = Object.entries(r.selector.params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
      process.stdout.write(`dlth score: ${r.rows} rows in ${r.shards} shards (${r.reused} reused), ${formatBytes(r.bytes)}, ${r.failures} failed, `
        + `${formatRate(r.imagesPerSec)} img/s on ${info.backend}; ${r.selector.mode} ${params} → ${resolve(flags.out)}\n`);
    });
}
