/**
 * The trainer's one typed config: `TrainOptions` (what a caller passes), defaults, and
 * `resolveTrainConfig` which copies, fills defaults and throws an InputError naming any bad value.
 */
import type { BackendName } from '../backend/types.js';
import { checkConfigInput, type ViTConfigInput } from '../model/configs.js';
import { InputError, show } from '../util/errors.js';
import { WEIGHT_INITS, type WeightInit } from '../model/weights.js';
import { Content } from '../loader/augment/content.js';
import { resolveTokenAugment, type TokenAugmentOptions } from '../loader/augment/tokens.js';
import { DatasetLocation } from '../loader/store/location.js';
import type { EvitEvalSpec } from './evit-eval.js';
import { DEFAULT_MAX_MODEL_BYTES } from './memory.js';
import { MAX_DATA_PARALLEL } from './data-parallel.js';

/** A dataset directory or http(s) URL (credentials allowed: every output shows `DatasetLocation.display`). */
export type DatasetInput = string | DatasetLocation;

/** The token augmentations of training batches (timm's names; loader/augment/tokens.ts); mixing's label smoothing is the trainer's `labelSmoothing`. */
export type TrainAugment = Omit<TokenAugmentOptions, 'labelSmoothing'>;

export interface EvalSet {
  /** Name in metrics and summary (e.g. `ticket-test`, `full-test`). */
  name: string;
  /** Dataset directory or URL (or several, concatenated). */
  dir: DatasetInput | readonly DatasetInput[];
}

export interface TrainOptions {
  /** Training dataset directory or URL (or several, concatenated in the loader). */
  train: DatasetInput | readonly DatasetInput[];
  eval?: EvalSet[];
  /** Named model variant (e.g. `vit-micro-p4-28`). */
  model: string;
  /** Fields of the variant to override (e.g. `depth`, `numClasses`): known fields only, each within its bounds (model/configs.ts). */
  modelOverrides?: ViTConfigInput;
  /**
   * Refuse, before any tensor is made, a model whose weights, gradients and AdamW moments (16 bytes
   * per parameter) need more than this many bytes (default 4 GiB; never more than the machine's memory).
   */
  maxModelBytes?: number;
  /** Length of the run: epochs, or optimizer steps (exactly one may be given; default 10 epochs). */
  epochs?: number;
  steps?: number;
  batchSize?: number;
  evalBatchSize?: number;
  /** Peak learning rate, reached at the end of warmup. */
  lr?: number;
  minLr?: number;
  warmupLr?: number;
  warmupEpochs?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  labelSmoothing?: number;
  /** Maximum global gradient norm; 0 disables clipping. */
  clipNorm?: number;
  /** Exact sparse horizontal flip of training samples (per sample, seeded). */
  flip?: boolean;
  /**
   * Read training and evaluation datasets made with different preprocessing (resize, crop,
   * resampling, mean/std) anyway. Default false: refused, naming both (src/shards/preprocessing.ts).
   */
  allowMixedPreprocessing?: boolean;
  /**
   * Train on a random `subset` of each training row's stored patches, redrawn every epoch (seeded by
   * seed, epoch and sample id): over a `full` dataset, the paper's per-step random baseline.
   * Evaluation sets are read as stored.
   */
  subset?: number;
  /** `mean`: every patch of every training and evaluation row replaced by the dataset's mean colour (the position-only ablation). */
  content?: Content;
  /**
   * Colour jitter, token random erasing and token mixup/cutmix of training batches, exact on the
   * kept patches (seeded by seed, epoch and sample id). With mixup or cutmix the loss is the soft
   * target cross entropy of the loader's targets (smoothed by `labelSmoothing`), as timm's. Default: off.
   */
  augment?: TrainAugment;
  /**
   * Stop when evaluation set `stopWhen.eval`'s accuracy has not improved for `stopWhen.patience`
   * epochs (the schedule stays the one of `epochs`). Default: run every epoch.
   */
  stopWhen?: StopRule;
  /** Evaluate every this many epochs, and always after the last one (default 1; `stopWhen` needs 1). */
  evalEvery?: number;
  /**
   * After training, also evaluate the model run as EViT (pruning at `blocks`, one chain per rate) on
   * every full-grid evaluation set: a selector's accuracy with pruning (evit-eval.ts).
   */
  evitEval?: EvitEvalSpec;
  /**
   * Processes that share each step (data-parallel.ts): the batch is cut into this many parts whose
   * gradients are computed side by side, each process with TF_NUM_INTRAOP_THREADS threads (default
   * cores / processes). Equal to 1 process up to float rounding; default 1.
   */
  dataParallel?: number;
  /**
   * The initial weights' scheme, by timm's `weight_init` names (model/weights.ts): `timm` (default:
   * trunc_normal(.02) Linear weights) or `jax` (xavier_uniform, zero head). In the run fingerprint
   * only when not the default.
   */
  weightInit?: WeightInit;
  /** Seed of the initial weights, the data order and the augmentation. */
  seed?: number;
  /** Output directory. */
  out: string;
  /** Continue from `out/state` when it exists (default true); false starts over. */
  resume?: boolean;
  /** Also save the resumable state every this many steps (0: only at the end of each epoch). */
  checkpointEvery?: number;
  /** Show progress on stderr (default true). */
  progress?: boolean;
  backend?: BackendName;
  /** Cancels the run between steps (the state is saved first). Default: SIGINT/SIGTERM via the CLI. */
  signal?: AbortSignal;
  /** Called after every optimizer step (logging, external schedulers, tests). */
  onStep?: (info: StepInfo) => void;
}

export interface StopRule {
  /** Name of an evaluation set. */
  eval: string;
  /** Epochs without a new best accuracy before stopping (≥ 1). */
  patience: number;
}

export interface StepInfo {
  /** Updates taken so far (1 after the first). */
  step: number;
  /** 0-based epoch of the step. */
  epoch: number;
  loss: number;
  lr: number;
}

/** The resolved config; `fingerprintFields` of it decide whether a saved state may be resumed. */
export interface TrainConfig {
  train: DatasetLocation[];
  eval: { name: string; dirs: DatasetLocation[] }[];
  model: string;
  modelOverrides: ViTConfigInput;
  maxModelBytes: number;
  epochs: number | null;
  steps: number | null;
  batchSize: number;
  evalBatchSize: number;
  lr: number;
  minLr: number;
  warmupLr: number;
  warmupEpochs: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  labelSmoothing: number;
  clipNorm: number;
  flip: boolean;
  allowMixedPreprocessing: boolean;
  subset: number | null;
  content: Content;
  /** The augmentation options as given, or null when none is on. */
  augment: TrainAugment | null;
  stopWhen: StopRule | null;
  evalEvery: number;
  evitEval: EvitEvalSpec | null;
  weightInit: WeightInit;
  dataParallel: number;
  seed: number;
  out: string;
  resume: boolean;
  checkpointEvery: number;
  progress: boolean;
  backend: BackendName | undefined;
}

export const TRAIN_DEFAULTS = {
  epochs: 10,
  batchSize: 128,
  lr: 1e-3,
  minLr: 1e-5,
  warmupLr: 1e-6,
  warmupEpochs: 1,
  weightDecay: 0.05,
  beta1: 0.9,
  beta2: 0.999,
  labelSmoothing: 0.1,
  clipNorm: 1,
  flip: false,
  content: Content.Pixels,
  evalEvery: 1,
  seed: 0,
  resume: true,
  checkpointEvery: 0,
  progress: true,
  maxModelBytes: DEFAULT_MAX_MODEL_BYTES,
  dataParallel: 1,
  weightInit: 'timm',
} as const;

function need(ok: boolean, field: string, value: unknown, want: string): void {
  if (!ok) throw new InputError(`train option ${field} = ${show(value)} is invalid (want ${want})`);
}

const list = (v: DatasetInput | readonly DatasetInput[]): DatasetInput[] => (Array.isArray(v) ? [...(v as readonly DatasetInput[])] : [v as DatasetInput]);
const isLocation = (v: unknown): v is DatasetInput => v instanceof DatasetLocation || (typeof v === 'string' && v.length > 0);

/** The locations of `v`; an InputError naming `field` when one is not a non-empty string. */
function locations(v: DatasetInput | readonly DatasetInput[], field: string): DatasetLocation[] {
  const all = list(v);
  need(all.length > 0 && all.every(isLocation), field, all, 'one or more dataset directories or URLs');
  return all.map((x) => DatasetLocation.of(x));
}
const posInt = (v: number): boolean => Number.isSafeInteger(v) && v > 0;
const nonNeg = (v: number): boolean => Number.isFinite(v) && v >= 0;

export function resolveTrainConfig(o: TrainOptions): TrainConfig {
  const d = TRAIN_DEFAULTS;
  need(o.epochs === undefined || o.steps === undefined, 'steps', o.steps, 'either epochs or steps, not both');
  const c: TrainConfig = {
    train: locations(o.train, 'train'),
    eval: (o.eval ?? []).map((e) => ({ name: e.name, dirs: locations(e.dir, `eval ${show(e.name)}`) })),
    model: o.model,
    modelOverrides: checkConfigInput(o.modelOverrides ?? {}, InputError),
    maxModelBytes: o.maxModelBytes ?? d.maxModelBytes,
    epochs: o.steps === undefined ? o.epochs ?? d.epochs : null,
    steps: o.steps ?? null,
    batchSize: o.batchSize ?? d.batchSize,
    evalBatchSize: o.evalBatchSize ?? o.batchSize ?? d.batchSize,
    lr: o.lr ?? d.lr,
    minLr: o.minLr ?? d.minLr,
    warmupLr: o.warmupLr ?? d.warmupLr,
    warmupEpochs: o.warmupEpochs ?? d.warmupEpochs,
    weightDecay: o.weightDecay ?? d.weightDecay,
    beta1: o.beta1 ?? d.beta1,
    beta2: o.beta2 ?? d.beta2,
    labelSmoothing: o.labelSmoothing ?? d.labelSmoothing,
    clipNorm: o.clipNorm ?? d.clipNorm,
    flip: o.flip ?? d.flip,
    allowMixedPreprocessing: o.allowMixedPreprocessing ?? false,
    subset: o.subset ?? null,
    content: o.content ?? d.content,
    augment: o.augment ? { ...o.augment } : null,
    stopWhen: o.stopWhen ? { eval: o.stopWhen.eval, patience: o.stopWhen.patience } : null,
    evalEvery: o.evalEvery ?? d.evalEvery,
    evitEval: o.evitEval ? { rates: [...o.evitEval.rates], blocks: [...o.evitEval.blocks] } : null,
    dataParallel: o.dataParallel ?? d.dataParallel,
    weightInit: o.weightInit ?? d.weightInit,
    seed: o.seed ?? d.seed,
    out: o.out,
    resume: o.resume ?? d.resume,
    checkpointEvery: o.checkpointEvery ?? d.checkpointEvery,
    progress: o.progress ?? d.progress,
    backend: o.backend,
  };
  need(typeof c.out === 'string' && c.out.length > 0, 'out', o.out, 'an output directory');
  need(typeof c.model === 'string' && c.model.length > 0, 'model', o.model, 'a model variant name');
  const names = c.eval.map((e) => e.name);
  // Names are keys in metrics.jsonl and summary.json (never file names), e.g. `ticket@0.5/test`.
  need(names.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 200 && !/[\u0000-\u001f]/.test(n)), 'eval', names, 'non-empty names without control characters');
  need(new Set(names).size === names.length, 'eval', names, 'distinct names');
  need(c.epochs === null || posInt(c.epochs), 'epochs', c.epochs, 'a positive integer');
  need(c.steps === null || posInt(c.steps), 'steps', c.steps, 'a positive integer');
  for (const f of ['batchSize', 'evalBatchSize'] as const) need(posInt(c[f]), f, c[f], 'a positive integer');
  need(Number.isFinite(c.lr) && c.lr > 0, 'lr', c.lr, '> 0');
  for (const f of ['minLr', 'warmupLr', 'warmupEpochs', 'weightDecay', 'clipNorm'] as const) need(nonNeg(c[f]), f, c[f], '>= 0');
  for (const f of ['beta1', 'beta2', 'labelSmoothing'] as const) need(c[f] >= 0 && c[f] < 1, f, c[f], 'in [0, 1)');
  need(Number.isSafeInteger(c.seed) && c.seed >= 0, 'seed', c.seed, 'a non-negative integer');
  need(Number.isSafeInteger(c.dataParallel) && c.dataParallel >= 1 && c.dataParallel <= MAX_DATA_PARALLEL && c.dataParallel <= c.batchSize, 'dataParallel', c.dataParallel, `an integer in [1, ${MAX_DATA_PARALLEL}], at most the batch size (processes)`);
  need((WEIGHT_INITS as readonly unknown[]).includes(c.weightInit), 'weightInit', c.weightInit, `one of ${WEIGHT_INITS.join(', ')}`);
  need(c.subset === null || (posInt(c.subset) && c.subset <= 65535), 'subset', c.subset, 'a positive integer (patches per row)');
  need(Object.values(Content).includes(c.content), 'content', c.content, `one of ${Object.values(Content).join(', ')}`);
  const augment = resolveTokenAugment({ ...c.augment, labelSmoothing: c.labelSmoothing }); // an InputError naming a bad value
  if (!augment.jitter && !augment.erase && !augment.mix) c.augment = null;
  need(c.stopWhen === null || names.includes(c.stopWhen.eval), 'stopWhen.eval', c.stopWhen?.eval, `the name of an evaluation set (${names.join(', ') || 'none given'})`);
  need(c.stopWhen === null || posInt(c.stopWhen.patience), 'stopWhen.patience', c.stopWhen?.patience, 'a positive integer (epochs)');
  const ev = c.evitEval;
  need(ev === null || (ev.rates.length > 0 && ev.rates.every((r) => r > 0 && r <= 1)), 'evitEval.rates', ev?.rates, 'one or more rates in (0, 1]');
  need(ev === null || (ev.blocks.length > 0 && ev.blocks.every((b, i) => Number.isSafeInteger(b) && b >= 0 && (i === 0 || b > ev.blocks[i - 1]))), 'evitEval.blocks', ev?.blocks, 'ascending block indices');
  need(posInt(c.evalEvery) && (c.stopWhen === null || c.evalEvery === 1), 'evalEvery', c.evalEvery, c.stopWhen === null ? 'a positive integer (epochs)' : '1 (stopWhen evaluates every epoch)');
  need(Number.isSafeInteger(c.checkpointEvery) && c.checkpointEvery >= 0, 'checkpointEvery', c.checkpointEvery, 'a non-negative integer');
  need(Number.isSafeInteger(c.maxModelBytes) && c.maxModelBytes > 0, 'maxModelBytes', c.maxModelBytes, 'a positive integer (bytes)');
  return c;
}

/** The fields a saved state must agree on to be resumed (everything that changes the computation). */
export function fingerprintFields(
  c: TrainConfig,
): Omit<TrainConfig, 'out' | 'resume' | 'progress' | 'checkpointEvery' | 'backend' | 'maxModelBytes' | 'augment' | 'dataParallel' | 'weightInit'> & Partial<Pick<TrainConfig, 'augment' | 'dataParallel' | 'weightInit'>> {
  const { out: _o, resume: _r, progress: _p, checkpointEvery: _c, backend: _b, maxModelBytes: _m, augment, dataParallel, weightInit, ...rest } = c;
  // Only when on: the states of runs made before augmentations, data parallelism and init schemes existed keep their fingerprint.
  return { ...rest, ...(augment ? { augment } : {}), ...(dataParallel > 1 ? { dataParallel } : {}), ...(weightInit !== 'timm' ? { weightInit } : {}) };
}
