/**
 * The selector's preprocessing: how its checkpoint expects images to be resized, cropped,
 * resampled and normalised, read from the HF `preprocessor_config.json` or timm's pretrained_cfg,
 * and `patchifyConfigFor`, the pure function that turns it (plus explicit overrides) into the
 * PatchifyConfig used to score. Rescaling other than /255 is folded into mean and std:
 * (u·f − m)/s = (u/255 − m/(255f)) / (s/(255f)).
 */
import { resolvePatchifyConfig } from '../patchify/config.js';
import type { Interpolation, PatchifyConfig, ResizeMode } from '../patchify/types.js';
import { InputError, show } from '../util/errors.js';

/** PIL/timm resampling names. */
export type Resample = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos' | 'box' | 'hamming';
/**
 * The sharp kernel closest to each PIL filter (measured on 24 scikit-image photos, see
 * test/scoring/preprocessing-photos.test.ts): PIL's filters are separable convolutions scaled by
 * the reduction, like libvips' reduce, so each maps to its namesake.
 */
export const SHARP_KERNEL: Record<Resample, Interpolation | null> = {
  nearest: 'nearest', bilinear: 'linear', bicubic: 'cubic', lanczos: 'lanczos3', box: null, hamming: null,
};

export interface Preprocessing {
  /**
   * Where it was read: HF processor, timm pretrained_cfg (geometry and normalisation bind); a dlth
   * checkpoint's own config (normalisation binds, geometry is the caller's); or nothing (random
   * weights, a named variant without a processor file: the caller's patchify config throughout).
   */
  from: 'hf-processor' | 'timm-pretrained-cfg' | 'model-config' | 'default';
  /** The model's input [height, width] after resize and crop. */
  imageSize: [number, number];
  /** How the image is resized before the centre crop. */
  resize: { mode: 'fixed'; size: [number, number] } | { mode: 'shorter'; edge: number } | { mode: 'deit'; cropPct: number } | { mode: 'none' };
  /** Centre-crop offsets: HF floors, timm/torchvision round. */
  cropRounding: 'round' | 'floor';
  interpolation: Resample;
  /** Normalisation of u/255 (rescale already folded in). */
  mean: number[];
  std: number[];
}

/** What flags and pipeline fields may override. */
export interface PreprocessingOverrides {
  mean?: number[];
  std?: number[];
  /** A resize mode, or a shorter-edge length, or a fixed [height, width]. */
  resize?: ResizeMode | number | [number, number];
  cropPct?: number;
  /** A PIL name (bicubic, bilinear, …) or a sharp kernel (cubic, linear, lanczos3, nearest). */
  interpolation?: string;
}

const SHARP_NAMES = ['nearest', 'linear', 'cubic', 'lanczos3'] as const;

/** A sharp kernel from a PIL name or a sharp name; throws InputError naming the value. */
export function sharpKernel(name: string, where = 'interpolation'): Interpolation {
  if ((SHARP_NAMES as readonly string[]).includes(name)) return name as Interpolation;
  const k = Object.hasOwn(SHARP_KERNEL, name) ? SHARP_KERNEL[name as Resample] : null;
  if (!k) throw new InputError(`${where} ${show(name)} is not supported (${[...Object.keys(SHARP_KERNEL).filter((n) => SHARP_KERNEL[n as Resample]), ...SHARP_NAMES].join(', ')})`);
  return k;
}

/** A 3-channel statistic for a 1-channel model: the mean of the three (a grey image is R = G = B). */
function stats(v: number[], channels: number): number[] {
  return channels === 1 && v.length === 3 ? [v.reduce((a, b) => a + b, 0) / 3] : v;
}

/** Whether the checkpoint fixes the geometry (resize, crop, interpolation) and not just mean/std. */
export function bindsGeometry(pre: Preprocessing): boolean {
  return pre.from === 'hf-processor' || pre.from === 'timm-pretrained-cfg';
}

/**
 * The PatchifyConfig to score with, from the caller's `requested` config (pipeline or CLI): a
 * checkpoint that fixes its geometry supplies it (patchifyConfigFor); a dlth checkpoint supplies
 * its mean/std; explicit overrides win over both.
 */
export function scoringPatchifyConfig(pre: Preprocessing, model: { patchSize: number; channels: number }, requested: PatchifyConfig, o: PreprocessingOverrides = {}): PatchifyConfig {
  if (bindsGeometry(pre)) return patchifyConfigFor(pre, model, o, requested);
  const norm = pre.from === 'model-config' ? { mean: pre.mean, std: pre.std } : {};
  return patchifyOverridden({ ...requested, ...norm }, o);
}

/** `requested` with explicit overrides applied (resize, crop, interpolation, mean, std). */
export function patchifyOverridden(requested: PatchifyConfig, o: PreprocessingOverrides): PatchifyConfig {
  const rounding = requested.cropRounding ?? 'round';
  let resize: Partial<PatchifyConfig> = {};
  if (o.resize !== undefined) resize = { resizeTo: undefined, shortestEdge: undefined, ...overrideResize(o.resize, { cropRounding: rounding } as Preprocessing) };
  if (o.cropPct !== undefined) resize = { resize: 'deit', cropPct: o.cropPct, resizeTo: undefined, shortestEdge: undefined };
  const defined = <T extends object>(x: T): Partial<T> => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
  return resolvePatchifyConfig({
    ...defined({ ...requested, ...resize }),
    imageSize: requested.imageSize,
    patchSize: requested.patchSize,
    ...(o.interpolation !== undefined ? { interpolation: sharpKernel(o.interpolation) } : {}),
    ...(o.mean !== undefined ? { mean: o.mean } : {}),
    ...(o.std !== undefined ? { std: o.std } : {}),
  });
}

/** The PatchifyConfig used for scoring: the checkpoint's preprocessing, then the overrides. */
export function patchifyConfigFor(pre: Preprocessing, model: { patchSize: number; channels: number }, o: PreprocessingOverrides = {}, base: Partial<PatchifyConfig> = {}): PatchifyConfig {
  const channels = model.channels === 1 ? 1 : 3;
  let resize: Partial<PatchifyConfig> = resizeFields(pre);
  if (o.resize !== undefined) resize = overrideResize(o.resize, pre);
  if (o.cropPct !== undefined) resize = { resize: 'deit', cropPct: o.cropPct, cropRounding: 'round' };
  return resolvePatchifyConfig({
    ...base,
    ...resize,
    pilParity: true, // HF processors and timm decode with PIL
    imageSize: pre.imageSize,
    patchSize: model.patchSize,
    channels,
    interpolation: sharpKernel(o.interpolation ?? pre.interpolation),
    mean: o.mean ?? stats(pre.mean, channels),
    std: o.std ?? stats(pre.std, channels),
  });
}

function resizeFields(pre: Preprocessing): Partial<PatchifyConfig> {
  const r = pre.resize;
  const rounding = { cropRounding: pre.cropRounding };
  switch (r.mode) {
    case 'fixed':
      return { resize: 'fixed', resizeTo: r.size, ...rounding };
    case 'shorter':
      return { resize: 'shorter', shortestEdge: r.edge, ...rounding };
    case 'deit':
      return { resize: 'deit', cropPct: r.cropPct, ...rounding };
    case 'none':
      return { resize: 'none' };
  }
}

function overrideResize(r: NonNullable<PreprocessingOverrides['resize']>, pre: Preprocessing): Partial<PatchifyConfig> {
  const rounding = { cropRounding: pre.cropRounding };
  if (typeof r === 'number') return { resize: 'shorter', shortestEdge: r, ...rounding };
  if (Array.isArray(r)) return { resize: 'fixed', resizeTo: [r[0], r[1]], ...rounding };
  return { resize: r };
}

