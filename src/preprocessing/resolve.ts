/**
 * Preprocessing resolution, the one owner of it for every stage (score, materialize, pipelines,
 * the CLI): a selector's preprocessing (how its checkpoint expects images to be resized, cropped,
 * resampled and normalised; read by ./read.ts) plus explicit overrides (resize then crop,
 * interpolation, mean/std) → the PatchifyConfig that decodes the images. Rescaling other than /255 is folded into mean and std:
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

/** `requested` with explicit overrides applied (resize then crop, interpolation, mean, std). */
export function patchifyOverridden(requested: PatchifyConfig, o: PreprocessingOverrides): PatchifyConfig {
  const resize = resizeOverride(o, requested.imageSize, requested.cropRounding ?? 'round') ?? {};
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

/** Offsets of `edge` cropped to `side`: the fraction kept, as a crop-pct. */
const keptFraction = (side: number, edge: number): number => side / edge;

/**
 * The resize fields that explicit `resize` and `cropPct` overrides give, combined as a user means
 * them: the resize first, then the centre crop to the image size. Both given, the crop fraction
 * must be the one the resize implies (resize 256 → crop 224 keeps 0.875), or, with a resize mode,
 * it sets that mode's size (deit: its crop; shorter and fixed: size / cropPct, floored as timm).
 * A contradiction is an InputError naming both. Null: neither is overridden. Every resize field is
 * set (undefined where unused), so none of the base config's survives into another mode.
 */
export function resizeOverride(o: PreprocessingOverrides, imageSize: readonly [number, number], rounding: 'round' | 'floor'): Partial<PatchifyConfig> | null {
  const clear = { resizeTo: undefined, shortestEdge: undefined, cropRounding: rounding };
  const { resize: r, cropPct: pct } = o;
  if (r === undefined && pct === undefined) return null;
  if (r === undefined || r === 'deit') return { ...clear, resize: 'deit', ...(pct !== undefined ? { cropPct: pct } : {}) };
  if (pct === undefined) return { ...clear, ...overrideResize(r, { cropRounding: rounding } as Preprocessing) };
  const [h, w] = imageSize;
  const scaled = (side: number): number => Math.floor(side / pct);
  if (r === 'none') throw new InputError(`resize none keeps each image as it is, but a crop fraction ${show(pct)} asks for a resize: set only one of them`);
  if (r === 'shorter') return { ...clear, resize: 'shorter', shortestEdge: scaled(Math.max(h, w)) };
  if (r === 'fixed') return { ...clear, resize: 'fixed', resizeTo: [scaled(h), scaled(w)] };
  const [rh, rw] = typeof r === 'number' ? [r, r] : r;
  const sides: [number, number][] = typeof r === 'number' ? [[Math.max(h, w), r]] : [[h, rh], [w, rw]];
  const off = sides.find(([side, edge]) => Math.abs(edge * pct - side) >= 1);
  if (off) {
    const what = typeof r === 'number' ? `resize ${r}` : `resize ${rh}x${rw}`;
    throw new InputError(`${what} then a centre crop to ${h}×${w} keeps a fraction ${keptFraction(off[0], off[1]).toFixed(4)}, but the crop fraction is set to ${show(pct)}: set only one of them (or make them agree)`);
  }
  return { ...clear, ...overrideResize(r, { cropRounding: rounding } as Preprocessing) };
}

/** The PatchifyConfig used for scoring: the checkpoint's preprocessing, then the overrides. */
export function patchifyConfigFor(pre: Preprocessing, model: { patchSize: number; channels: number }, o: PreprocessingOverrides = {}, base: Partial<PatchifyConfig> = {}): PatchifyConfig {
  const channels = model.channels === 1 ? 1 : 3;
  const resize = resizeOverride(o, pre.imageSize, pre.cropRounding) ?? resizeFields(pre);
  return resolvePatchifyConfig({
    ...withoutResize(base),
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

/** A base config's non-geometric fields (background, limits, small images): its resize never mixes into the checkpoint's. */
function withoutResize(base: Partial<PatchifyConfig>): Partial<PatchifyConfig> {
  const { resize: _r, resizeTo: _t, shortestEdge: _e, cropPct: _c, cropRounding: _o, ...rest } = base;
  return rest;
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

