/** `dlth train`: trains a ViT from scratch on ticket / random / full datasets through the loader. */
import { optionalNumber, parseNumber } from './numbers.js';
import type { Command } from 'commander';
import { parseBackendName } from '../backend/options.js';
import type { ViTConfigInput } from '../model/configs.js';
import { WEIGHT_INITS } from '../model/weights.js';
import { train } from '../trainer/train.js';
import { TRAIN_DEFAULTS, type EvalSet, type StopRule, type TrainAugment, type TrainOptions } from '../trainer/config.js';
import { ERASE_MODES } from '../loader/augment/erase.js';
import { InputError, show } from '../util/errors.js';
import { localPath } from '../util/local-path.js';
import { DatasetLocation, datasetLocation, isHttpUrl } from '../loader/store/index.js';

interface TrainFlags {
  train: string[];
  eval: string[];
  model: string;
  set: string[];
  epochs?: string;
  dataParallel?: string;
  weightInit?: string;
  steps?: string;
  batchSize?: string;
  evalBatchSize?: string;
  lr?: string;
  minLr?: string;
  warmupLr?: string;
  warmupEpochs?: string;
  weightDecay?: string;
  labelSmoothing?: string;
  clipNorm?: string;
  flip?: boolean;
  allowMixedPreprocessing?: boolean;
  subset?: string;
  positionsOnly?: boolean;
  colorJitter?: string;
  reprob?: string;
  remode?: string;
  recount?: string;
  mixup?: string;
  cutmix?: string;
  mixupProb?: string;
  mixupSwitchProb?: string;
  stopWhen?: string;
  evalEvery?: string;
  seed?: string;
  out: string;
  resume: boolean;
  checkpointEvery?: string;
  maxModelMemory?: string;
  backend?: string;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const num = (flag: string, text: string | undefined): number | undefined => optionalNumber(flag, text);

export { datasetLocation };

/** `name=dir` → an evaluation set; a bare `dir` (or URL) is named after its last path component (of a URL: its path's, else its host). */
export function parseEvalFlag(text: string): EvalSet & { dir: DatasetLocation } {
  const eq = text.indexOf('=');
  if (eq > 0 && !isHttpUrl(text)) return { name: text.slice(0, eq), dir: DatasetLocation.of(text.slice(eq + 1)) };
  const dir = DatasetLocation.of(text);
  return { name: dir.name, dir };
}

/** `--max-model-memory <GiB>` → bytes. */
function gibibytes(flag: string, text: string | undefined): number | undefined {
  const v = num(flag, text);
  if (v === undefined) return undefined;
  if (!(v > 0) || v > 2 ** 20) throw new InputError(`--${flag} is ${show(text)}, expected a positive number of GiB`);
  return Math.round(v * 1024 ** 3);
}

/**
 * `key=value` model overrides; values are JSON (numbers, booleans, arrays) or plain strings. Keys and
 * values are checked by the trainer's config (unknown keys refused); every key stays an own key
 * (`__proto__` too), so none can slip past that check.
 */
export function parseSetFlags(items: readonly string[]): ViTConfigInput {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InputError(`--set ${show(item)}: expected key=value, e.g. depth=2`);
    const raw = item.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    out[item.slice(0, eq)] = value;
  }
  return { ...out } as ViTConfigInput;
}

/** `name:patience` → stop when evaluation set `name` has not improved for `patience` epochs. */
export function parseStopFlag(text: string): StopRule {
  const at = text.lastIndexOf(':');
  const patience = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(patience) || patience < 1) throw new InputError(`--stop-when ${show(text)}: expected <eval name>:<patience epochs>, e.g. test:2`);
  return { eval: text.slice(0, at), patience };
}

/** `--color-jitter 0.4` or `0.4,0.4,0.2` (brightness, contrast, saturation). */
function jitterFlag(text: string | undefined): number | number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',');
  if (parts.length !== 1 && parts.length !== 3) throw new InputError(`--color-jitter is ${show(text)}, expected one number or three separated by commas (brightness, contrast, saturation)`);
  const values = parts.map((p) => parseNumber('color-jitter', p, { min: 0 }));
  return values.length === 1 ? values[0] : values;
}

/** A flag whose value is one of `choices` (`--remode pixel`, `--weight-init jax`); an InputError naming the flag otherwise. */
function choiceFlag<T extends string>(flag: string, text: string | undefined, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  const found = choices.find((c) => c === text);
  if (found === undefined) throw new InputError(`--${flag} is ${show(text)}, expected one of ${choices.join(', ')}`);
  return found;
}

const UNIT = { min: 0, max: 1 };
const ALPHA = { min: 0, max: 1000 };

/** The token augmentation flags (timm's train.py names), checked here so that errors name the flag; undefined when none is given. */
function augmentFromFlags(f: TrainFlags): TrainAugment | undefined {
  const remode = choiceFlag('remode', f.remode, ERASE_MODES);
  const a: TrainAugment = {
    colorJitter: jitterFlag(f.colorJitter),
    reprob: optionalNumber('reprob', f.reprob, UNIT),
    remode,
    recount: optionalNumber('recount', f.recount, { integer: true, min: 1, max: 1000 }),
    mixupAlpha: optionalNumber('mixup', f.mixup, ALPHA),
    cutmixAlpha: optionalNumber('cutmix', f.cutmix, ALPHA),
    mixProb: optionalNumber('mixup-prob', f.mixupProb, UNIT),
    switchProb: optionalNumber('mixup-switch-prob', f.mixupSwitchProb, UNIT),
  };
  return Object.values(a).some((v) => v !== undefined) ? a : undefined;
}

export function optionsFromFlags(f: TrainFlags): TrainOptions {
  if (f.train.length === 0) throw new InputError('--train <dir> is required');
  return {
    train: f.train.map((t) => DatasetLocation.of(t)),
    eval: f.eval.map(parseEvalFlag),
    model: f.model,
    modelOverrides: parseSetFlags(f.set),
    maxModelBytes: gibibytes('max-model-memory', f.maxModelMemory),
    epochs: num('epochs', f.epochs),
    steps: num('steps', f.steps),
    batchSize: num('batch-size', f.batchSize),
    evalBatchSize: num('eval-batch-size', f.evalBatchSize),
    lr: num('lr', f.lr),
    minLr: num('min-lr', f.minLr),
    warmupLr: num('warmup-lr', f.warmupLr),
    warmupEpochs: num('warmup-epochs', f.warmupEpochs),
    weightDecay: num('weight-decay', f.weightDecay),
    labelSmoothing: num('label-smoothing', f.labelSmoothing),
    clipNorm: num('clip-norm', f.clipNorm),
    flip: f.flip,
    allowMixedPreprocessing: f.allowMixedPreprocessing ?? false,
    subset: num('subset', f.subset),
    content: f.positionsOnly ? 'mean' : 'pixels',
    augment: augmentFromFlags(f),
    stopWhen: f.stopWhen === undefined ? undefined : parseStopFlag(f.stopWhen),
    evalEvery: num('eval-every', f.evalEvery),
    dataParallel: num('data-parallel', f.dataParallel),
    weightInit: choiceFlag('weight-init', f.weightInit, WEIGHT_INITS),
    seed: num('seed', f.seed),
    out: localPath('--out', f.out),
    resume: f.resume,
    checkpointEvery: num('checkpoint-every', f.checkpointEvery),
    progress: !f.quiet,
    backend: f.backend ? parseBackendName(f.backend, '--backend') : undefined,
  };
}

export function registerTrain(program: Command): void {
  const d = TRAIN_DEFAULTS;
  program
    .command('train')
    .description('train a ViT from scratch on a ticket, random or full dataset; evaluate each epoch; write metrics, curves, checkpoint and resumable state')
    .option('--train <dir>', 'training dataset directory or URL (repeat to concatenate)', collect, [])
    .option('--eval <name=dir>', 'evaluation dataset directory or URL, e.g. full-test=out/full-test (repeatable)', collect, [])
    .requiredOption('--model <variant>', 'model variant, e.g. vit-micro-p4-28, vit-mini-p4-28, deit-tiny-patch16-224')
    .option('--set <key=value>', 'override a model config field, e.g. depth=2 (repeatable; known fields only, each within its bounds)', collect, [])
    .option('--max-model-memory <GiB>', 'refuse a model whose weights, gradients and AdamW moments need more (default 4; never more than the machine\'s memory)')
    .option('--epochs <n>', `epochs (default ${d.epochs}; or --steps)`)
    .option('--steps <n>', 'optimizer steps instead of epochs (the last epoch may be partial)')
    .option('--batch-size <n>', `training batch size (default ${d.batchSize})`)
    .option('--eval-batch-size <n>', 'evaluation batch size (default: the training batch size)')
    .option('--lr <x>', `peak learning rate (default ${d.lr})`)
    .option('--min-lr <x>', `cosine floor (default ${d.minLr})`)
    .option('--warmup-lr <x>', `learning rate at step 0 (default ${d.warmupLr})`)
    .option('--warmup-epochs <x>', `linear warmup length in epochs, may be fractional (default ${d.warmupEpochs})`)
    .option('--weight-decay <x>', `AdamW decoupled weight decay (default ${d.weightDecay})`)
    .option('--label-smoothing <x>', `label smoothing (default ${d.labelSmoothing})`)
    .option('--clip-norm <x>', `max global gradient norm, 0 disables (default ${d.clipNorm})`)
    .option('--flip', 'exact sparse horizontal flips of training samples')
    .option('--allow-mixed-preprocessing', 'read training and evaluation datasets made with different preprocessing (resize, crop, mean/std) together; by default they are refused, naming both')
    .option('--subset <k>', 'train on a random k-subset of each row\'s patches, redrawn every epoch (over a full dataset: the per-step random baseline)')
    .option('--positions-only', 'replace every patch (training and evaluation) by the dataset mean colour: only positions remain')
    .option('--color-jitter <x>', 'colour jitter of the kept patches, timm\'s: brightness, contrast, saturation factors in [max(0, 1-x), 1+x]; one x or three (x,y,z); contrast against the kept pixels\' mean (default off)')
    .option('--reprob <p>', 'token random erasing probability: kept patches inside a random rectangle of the patch grid are erased (default 0)')
    .option('--remode <mode>', 'what erased patches hold: const (mean colour), rand (per rectangle and channel), pixel (per byte) (default pixel)')
    .option('--recount <n>', 'at most n erased rectangles per sample (default 1)')
    .option('--mixup <alpha>', 'token mixup, Beta(alpha, alpha); soft targets smoothed by --label-smoothing (default 0: off)')
    .option('--cutmix <alpha>', 'token cutmix on the patch grid, labels mixed by the replaced-token fraction (default 0: off)')
    .option('--mixup-prob <p>', 'probability that a sample is mixed (default 1)')
    .option('--mixup-switch-prob <p>', 'with both --mixup and --cutmix, probability of cutmix (default 0.5)')
    .option('--stop-when <eval:patience>', 'stop once evaluation set <eval> has not improved for <patience> epochs')
    .option('--eval-every <n>', 'evaluate every n epochs and after the last (default 1)')
    .option('--data-parallel <N>', 'processes that share each step: the batch is cut into N parts computed side by side (each process gets cores/N TensorFlow threads unless TF_NUM_INTRAOP_THREADS is set); same result up to float rounding (default 1)')
    .option('--weight-init <scheme>', `initial weights, timm's weight_init names: ${WEIGHT_INITS.join(' | ')} (jax: xavier_uniform, zero head; leaves the first plateau sooner on small models) (default ${d.weightInit})`)
    .option('--seed <n>', `seed of weights, order and flips (default ${d.seed})`)
    .requiredOption('-o, --out <dir>', 'output directory (a local path)')
    .option('--no-resume', 'start over even if the output directory holds a saved state')
    .option('--checkpoint-every <n>', 'also save the resumable state every n steps (default: each epoch)')
    .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu (default: DLTH_BACKEND or auto)')
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: TrainFlags) => {
      const options = optionsFromFlags(flags);
      const s = await train(options);
      const evals = Object.entries(s.eval).map(([n, e]) => `${n} ${(e.final.acc * 100).toFixed(2)}% (best ${(e.best.acc * 100).toFixed(2)}% @${e.best.epoch})`);
      process.stdout.write(`dlth train: ${s.model}, ${s.steps} steps, ${s.samplesSeen} samples on ${s.backend}; ${evals.join(', ') || 'no eval sets'} → ${options.out}\n`);
    });
}
