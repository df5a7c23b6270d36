/**
 * On-the-fly augmentations exact on a row's kept patches (issue 27), with timm's names: colour
 * jitter (jitter.ts), token random erasing (erase.ts), token mixup / cutmix with soft targets
 * (mix.ts). One options interface, its defaults (everything off), one `resolveTokenAugment` that
 * throws an InputError naming a bad value, and the per-row / per-batch application. Each row's
 * draws come from generators keyed by (seed, epoch, purpose, sample id), as flips and subsets are,
 * so the TypeScript loader and the Python package (python/dlth/token_augment.py) produce the same
 * bytes for the same (seed, epoch, sample) (test/loader/token-augment.test.ts, golden fixture).
 * Order in a row: jitter, then erasing; mixing comes last, over the whole batch.
 */
import { InputError, show } from '../../util/errors.js';
import { hashInts, hashString, Rng } from '../rng.js';
import { ERASE_MODES, eraseGeometry, eraseRow, type EraseConfig, type EraseGeometry, type EraseMode } from './erase.js';
import { f } from './exact.js';
import { jitterRanges, jitterRow, type JitterRanges } from './jitter.js';
import { mixBatch, type MixConfig, type MixGeometry } from './mix.js';

export interface TokenAugmentOptions {
  /** timm `color_jitter`: one strength x for brightness, contrast and saturation, or three; factors uniform in [max(0, 1 − x), 1 + x]. 0: off (default). */
  colorJitter?: number | readonly number[];
  /** timm `reprob`: probability of erasing tokens of a row. 0: off (default). */
  reprob?: number;
  /** timm `remode`: what erased patches hold (`const`, `rand`, `pixel`). Default `pixel` (timm's train default). */
  remode?: EraseMode;
  /** timm `recount`: at most this many rectangles per erased row. Default 1. */
  recount?: number;
  /** timm `mixup_alpha`: Beta(α, α) of mixup's λ. 0: no mixup (default). */
  mixupAlpha?: number;
  /** timm `cutmix_alpha`. 0: no cutmix (default). */
  cutmixAlpha?: number;
  /** timm `mix_prob`: probability that a row is mixed. Default 1. */
  mixProb?: number;
  /** timm `switch_prob`: with both alphas > 0, probability of cutmix. Default 0.5. */
  switchProb?: number;
  /** timm Mixup's `label_smoothing` of the soft targets. Default 0.1. */
  labelSmoothing?: number;
}

/** Resolved: null where an augmentation is off. */
export interface TokenAugment {
  /** Brightness, contrast, saturation strengths (float32), or null. */
  jitter: readonly [number, number, number] | null;
  erase: EraseConfig | null;
  mix: MixConfig | null;
}

export const TOKEN_AUGMENT_DEFAULTS = { colorJitter: 0, reprob: 0, remode: 'pixel', recount: 1, mixupAlpha: 0, cutmixAlpha: 0, mixProb: 1, switchProb: 0.5, labelSmoothing: 0.1 } as const;

export const NO_TOKEN_AUGMENT: TokenAugment = { jitter: null, erase: null, mix: null };

/** Purpose salts of the per-row draws (the mixing salt is in mix.ts). */
export const SALT_JITTER = 16;
export const SALT_ERASE = 17;

function need(ok: boolean, field: string, value: unknown, want: string): void {
  if (!ok) throw new InputError(`augmentation ${field} = ${show(value)} is invalid (want ${want})`);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const unit = (v: unknown): boolean => finite(v) && v >= 0 && v <= 1;

function jitterOf(v: number | readonly number[]): readonly [number, number, number] | null {
  const xs = typeof v === 'number' ? [v, v, v] : Array.isArray(v) ? [...(v as readonly unknown[])] : [v];
  need(xs.length === 3 && xs.every((x) => finite(x) && x >= 0), 'colorJitter', v, 'a number ≥ 0, or three (brightness, contrast, saturation; hue is not supported)');
  const s = xs.map((x) => f(x as number)) as [number, number, number];
  return s.every((x) => x === 0) ? null : s;
}

/** Copies, fills defaults and checks ranges. */
export function resolveTokenAugment(o: TokenAugmentOptions = {}): TokenAugment {
  const d = TOKEN_AUGMENT_DEFAULTS;
  const v = { ...d, ...Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) } as Required<TokenAugmentOptions>;
  const jitter = jitterOf(v.colorJitter);
  need(unit(v.reprob), 'reprob', v.reprob, 'a probability in [0, 1]');
  need((ERASE_MODES as readonly unknown[]).includes(v.remode), 'remode', v.remode, ERASE_MODES.join(', '));
  need(Number.isSafeInteger(v.recount) && v.recount >= 1 && v.recount <= 1000, 'recount', v.recount, 'an integer in [1, 1000]');
  for (const k of ['mixupAlpha', 'cutmixAlpha'] as const) need(finite(v[k]) && v[k] >= 0 && v[k] <= 1000, k, v[k], 'a number in [0, 1000] (0: off)');
  for (const k of ['mixProb', 'switchProb'] as const) need(unit(v[k]), k, v[k], 'a probability in [0, 1]');
  need(finite(v.labelSmoothing) && v.labelSmoothing >= 0 && v.labelSmoothing < 1, 'labelSmoothing', v.labelSmoothing, 'a number in [0, 1)');
  const erase = v.reprob > 0 ? { prob: f(v.reprob), mode: v.remode, count: v.recount } : null;
  const mixing = (v.mixupAlpha > 0 || v.cutmixAlpha > 0) && v.mixProb > 0;
  const mix = mixing ? { mixupAlpha: f(v.mixupAlpha), cutmixAlpha: f(v.cutmixAlpha), prob: f(v.mixProb), switchProb: f(v.switchProb), labelSmoothing: f(v.labelSmoothing) } : null;
  return { jitter, erase, mix };
}

export function anyAugment(a: TokenAugment): boolean {
  return a.jitter !== null || a.erase !== null || a.mix !== null;
}

/** What a dataset must be for the augmentations; an InputError (naming `where`) otherwise. */
export function checkAugmentable(a: TokenAugment, meta: { channels: number; numClasses: number | null }, where: string): void {
  if (a.jitter && meta.channels !== 1 && meta.channels !== 3) throw new InputError(`colour jitter needs 1 or 3 channels, the dataset has ${meta.channels}`, { file: where });
  if (a.mix && meta.numClasses === null) throw new InputError('mixup/cutmix need class labels, the dataset has none (numClasses null)', { file: where });
}

/** Everything the augmentations of one dataset need, computed once. */
export interface AugmentPlan {
  augment: TokenAugment;
  channels: number;
  ranges: JitterRanges | null;
  erase: EraseGeometry;
  mix: Omit<MixGeometry, 'k'>;
}

export function augmentPlan(a: TokenAugment, meta: { patchSize: number; channels: number; grid: readonly number[]; mean: readonly number[]; std: readonly number[]; numClasses: number | null }): AugmentPlan {
  const erase = eraseGeometry(meta);
  return { augment: a, channels: meta.channels, ranges: a.jitter ? jitterRanges(a.jitter) : null, erase, mix: { patchBytes: erase.p * erase.p * erase.c, gh: erase.gh, gw: erase.gw, numClasses: meta.numClasses ?? 0 } };
}

/** Jitter, then erasing, of one row in place (`px`: its k·p·p·C bytes, `positions`: its k positions). */
export function augmentRow(plan: AugmentPlan, px: Uint8Array, positions: Uint16Array, id: string, seed: number, epoch: number): void {
  const { augment: a } = plan;
  if (plan.ranges) jitterRow(px, plan.channels, plan.ranges, new Rng(hashInts(seed, epoch, SALT_JITTER, hashString(id))));
  if (a.erase) eraseRow(px, positions, plan.erase, a.erase, new Rng(hashInts(seed, epoch, SALT_ERASE, hashString(id))));
}

export interface AugmentedBatch {
  size: number;
  k: number;
  patches: Uint8Array;
  positions: Uint16Array;
  labels: Int32Array;
  ids: readonly string[];
}

/** Jitter and erasing of batch rows [from, to). */
export function augmentRows(plan: AugmentPlan, b: AugmentedBatch, from: number, to: number, seed: number, epoch: number): void {
  if (!plan.ranges && !plan.augment.erase) return;
  const R = b.k * plan.mix.patchBytes;
  for (let i = from; i < to; i++) augmentRow(plan, b.patches.subarray(i * R, (i + 1) * R), b.positions.subarray(i * b.k, (i + 1) * b.k), b.ids[i] as string, seed, epoch);
}

/** The batch's mixing (after every row's jitter and erasing): its soft targets ([size·C] of `targets`), or null when the plan does not mix. */
export function mixRows(plan: AugmentPlan, b: AugmentedBatch, seed: number, epoch: number, scratch: Uint8Array, targets: Float32Array): Float32Array | null {
  if (!plan.augment.mix) return null;
  mixBatch(b, seed, epoch, plan.augment.mix, { ...plan.mix, k: b.k }, scratch, targets);
  return targets.subarray(0, b.size * plan.mix.numClasses);
}

/**
 * Every row's jitter and erasing, then the batch's mixing; returns the soft targets written to
 * `targets` ([size·C]) when mixing, else null. `scratch` holds a copy of the batch for mixing.
 */
export function augmentBatch(plan: AugmentPlan, b: AugmentedBatch, seed: number, epoch: number, scratch: Uint8Array, targets: Float32Array): Float32Array | null {
  augmentRows(plan, b, 0, b.size, seed, epoch);
  return mixRows(plan, b, seed, epoch, scratch, targets);
}
