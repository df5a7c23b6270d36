/** `dlth materialize`: one source → a ticket dataset (policies full and random; ticket with --scores). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { resolvePatchifyConfig } from '../patchify/index.js';
import { openSource } from '../sources/index.js';
import type { SourceConfig } from '../sources/types.js';
import { materialize } from '../tickets/materialize.js';
import { policyNames } from '../tickets/policies/index.js';
import type { Policy } from '../shards/types.js';
import { InputError, show } from '../util/errors.js';
import { formatBytes } from './verify.js';

interface MaterializeFlags {
  source: string;
  root?: string;
  file?: string;
  split?: string;
  limit?: string;
  policy: string;
  keep?: string;
  k?: string;
  seed: string;
  out: string;
  imageSize: string;
  patchSize: string;
  channels: string;
  resize?: string;
  shardMb: string;
  concurrency: string;
  maxFailures: string;
  scores?: string;
  quiet?: boolean;
}

function num(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new InputError(`--${flag} is ${show(text)}, expected a number`);
  return v;
}

export function sourceConfig(flags: MaterializeFlags): SourceConfig {
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

export function registerMaterialize(program: Command): void {
  program
    .command('materialize')
    .description('materialize a ticket dataset (Arrow shards + manifest) from an image source')
    .requiredOption('--source <kind>', 'idx | imagefolder | jsonl')
    .option('--root <dir>', 'idx directory or imagefolder root')
    .option('--file <path>', 'jsonl file')
    .option('--split <name>', 'idx split: train | test', 'train')
    .option('--limit <n>', 'idx: first n samples only')
    .requiredOption('--policy <name>', `ticket policy: ${policyNames().join(' | ')}`)
    .option('--keep <fraction>', 'kept fraction in (0, 1]: k = ceil(keep · N)')
    .option('--k <n>', 'explicit number of kept patches')
    .option('--seed <n>', 'seed of random tickets', '0')
    .option('--scores <dir>', 'score dataset (policies that need scores)')
    .requiredOption('-o, --out <dir>', 'output dataset directory')
    .option('--image-size <px>', 'image side (or HxW)', '224')
    .option('--patch-size <px>', 'patch side', '16')
    .option('--channels <n>', '1 or 3', '3')
    .option('--resize <mode>', 'deit | shorter | none')
    .option('--shard-mb <MiB>', 'target shard size', '256')
    .option('--concurrency <n>', 'decode concurrency', '2')
    .option('--max-failures <n>', 'undecodable images tolerated', '0')
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: MaterializeFlags) => {
      const [h, w] = flags.imageSize.split(/[x×]/).map(Number);
      const patchify = resolvePatchifyConfig({
        imageSize: w === undefined ? h : [h, w],
        patchSize: Number(flags.patchSize),
        channels: Number(flags.channels) as 1 | 3,
        ...(flags.resize ? { resize: flags.resize as 'deit' } : {}),
      });
      const config = sourceConfig(flags);
      const source = await openSource(config);
      const r = await materialize({
        source, patchify, policy: flags.policy as Policy, k: num('k', flags.k), keep: num('keep', flags.keep),
        seed: num('seed', flags.seed), out: resolve(flags.out), shardBytes: Math.round(Number(flags.shardMb) * 1024 * 1024),
        concurrency: num('concurrency', flags.concurrency), maxFailures: num('max-failures', flags.maxFailures),
        scores: flags.scores, progress: !flags.quiet, split: config.kind === 'idx' ? config.split : undefined,
      });
      process.stdout.write(`dlth materialize: ${r.rows} rows in ${r.shards} shards (${r.reused} reused), ${formatBytes(r.bytes)}, ${r.failures} failed → ${resolve(flags.out)}\n`);
    });
}
