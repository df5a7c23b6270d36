/** The loader's configuration: one interface, its defaults, and one `resolveOptions` that checks ranges. */
import { InputError, show } from '../util/errors.js';
import { checkRankOfWorld, isPartitionName, PARTITION_NAMES, type PartitionName } from './partition.js';
import { isShuffleName, SHUFFLE_NAMES, type ShuffleName } from './shuffle/index.js';
import type { HttpStoreOptions } from './store/http.js';
import { Content } from './augment/content.js';
import { NO_TOKEN_AUGMENT, resolveTokenAugment, type TokenAugment, type TokenAugmentOptions } from './augment/tokens.js';

export const Verify = {
  /** Check every shard's sha256 every time it is read (default). */
  Always: 'always',
  /**
   * Check a local shard's sha256 the first time this loader reads it; later epochs check size and format only, or do not
   * read the shard at all while one of the loader's slots still holds it from an earlier read. HTTP shards are always checked.
   */
  First: 'first',
} as const;
export type Verify = (typeof Verify)[keyof typeof Verify];

export interface LoaderOptions {
  /** Samples per batch. Default 64. */
  batchSize?: number;
  /** Seed of every random choice (shuffle, flips). Default 0. */
  seed?: number;
  /** Shuffle algorithm (registry name). Default `block`. */
  shuffle?: ShuffleName;
  /** Window of the `block` shuffle, in samples. Default 2048. */
  block?: number;
  rank?: number;
  world?: number;
  /** How uneven sample counts are split among ranks (`pad`, `drop`, `exact`). Default `pad`. */
  partition?: PartitionName;
  /** Random horizontal flips (exact, per sample, seeded). Default false. */
  flip?: boolean;
  /**
   * Keep only this many of each row's stored patches, a random subset redrawn every epoch (keyed by
   * seed, epoch and sample id; augment/subset.ts): over a `full` dataset, the paper's per-step random
   * baseline. Default: all stored patches.
   */
  subset?: number;
  /** `mean`: replace every patch's pixels by the dataset's mean colour (the position-only ablation). Default `pixels`. */
  content?: Content;
  /**
   * Augmentations exact on the kept patches (timm's names: colour jitter, token random erasing,
   * token mixup/cutmix with soft targets; augment/tokens.ts), applied after subset, flip and content.
   * Default: all off.
   */
  augment?: TokenAugmentOptions;
  /**
   * Datasets with K views (meta.views): always yield this view (0: the plain view, for
   * evaluation). Default: a random view 1…K−1 per (seed, epoch, sample) (src/views/pick.ts);
   * view 0 for datasets without views.
   */
  viewIndex?: number;
  /** Batches prepared ahead of the consumer. Default 4. */
  prefetch?: number;
  /** Shards read ahead of the ones the current batch needs. Default 1. */
  prefetchShards?: number;
  /**
   * Memory for shards held at once (each shard is held whole, from its first to its last use, in a
   * slot sized for the largest shard). An order needing more (a `block` window spanning too many
   * shards) is refused. Default 2 GiB.
   */
  shardMemory?: number;
  /** At most this many samples per rank and epoch (after partitioning). Default: all. */
  limit?: number;
  /** Drop the last batch of an epoch when it is smaller than batchSize. Default false. */
  dropLastBatch?: boolean;
  verify?: Verify;
  http?: HttpStoreOptions;
  /**
   * Read datasets made with different preprocessing (resize, crop, resampling, mean/std) together
   * anyway; their rows then share the first dataset's metadata and normalisation. Default false:
   * such datasets are refused, naming both (src/shards/preprocessing.ts).
   */
  allowMixedPreprocessing?: boolean;
}

export type ResolvedOptions = Required<Omit<LoaderOptions, 'limit' | 'http' | 'subset' | 'augment' | 'viewIndex'>> & Pick<LoaderOptions, 'limit' | 'http' | 'subset' | 'viewIndex'> & { augment: TokenAugment };

export const DEFAULT_OPTIONS: ResolvedOptions = {
  batchSize: 64,
  seed: 0,
  shuffle: 'block',
  block: 2048,
  rank: 0,
  world: 1,
  partition: 'pad',
  flip: false,
  content: Content.Pixels,
  augment: NO_TOKEN_AUGMENT,
  prefetch: 4,
  prefetchShards: 1,
  shardMemory: 2 * 1024 ** 3,
  dropLastBatch: false,
  verify: Verify.Always,
  allowMixedPreprocessing: false,
};

function intIn(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new InputError(`${name} must be an integer in [${min}, ${max}], got ${show(v)}`);
}

export function resolveOptions(options: LoaderOptions = {}): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: ResolvedOptions = { ...DEFAULT_OPTIONS, ...defined, augment: resolveTokenAugment(options.augment) };
  intIn('batchSize', o.batchSize, 1, 1 << 20);
  intIn('seed', o.seed, 0);
  intIn('block', o.block, 1);
  intIn('prefetch', o.prefetch, 1, 1024);
  intIn('prefetchShards', o.prefetchShards, 0, 64);
  intIn('shardMemory', o.shardMemory, 1);
  if (o.limit !== undefined) intIn('limit', o.limit, 0);
  if (o.subset !== undefined) intIn('subset', o.subset, 1, 65535);
  if (o.viewIndex !== undefined) intIn('viewIndex', o.viewIndex, 0, 63);
  if (!Object.values(Content).includes(o.content)) throw new InputError(`content must be one of ${Object.values(Content).join(', ')}, got ${show(o.content)}`);
  checkRankOfWorld(o.rank, o.world);
  if (!isShuffleName(o.shuffle)) throw new InputError(`unknown shuffle ${show(o.shuffle)} (known: ${SHUFFLE_NAMES.join(', ')})`);
  if (!isPartitionName(o.partition)) throw new InputError(`unknown partition ${show(o.partition)} (known: ${PARTITION_NAMES.join(', ')})`);
  if (!Object.values(Verify).includes(o.verify)) throw new InputError(`verify must be one of ${Object.values(Verify).join(', ')}, got ${show(o.verify)}`);
  return o;
}
