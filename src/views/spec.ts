/**
 * Views of each image (`dlth score --views K`, pipeline `views` on score stages): the options,
 * their defaults (timm's RandomResizedCrop scale (0.08, 1) and ratio (3/4, 4/3), hflip 0.5) and the
 * one `resolveViews` that checks them and builds what a dataset records (DatasetMeta.views).
 * View 0 is always the plain view; K = 1 is a dataset without views (no metadata, no column).
 */
import type { ViewsMeta } from '../shards/types.js';
import { InputError, show } from '../util/errors.js';

/** The most views one image may have (the `view` column is a uint8). */
export const MAX_VIEWS = 64;

export interface ViewsOptions {
  /** K: rows per image (view 0 plain, views 1…K−1 random). Default 1. */
  count?: number;
  /** Crop area as a fraction of the image's, [min, max] in (0, 1]. Default [0.08, 1]. */
  scale?: readonly number[];
  /** Crop aspect ratio (width / height), [min, max], each > 0. Default [3/4, 4/3]. */
  ratio?: readonly number[];
  /** Probability of a horizontal flip of a random view, in [0, 1]. Default 0.5. */
  flip?: number;
  /** Seed of the crops and flips. Default 0. */
  seed?: number;
}

export const VIEWS_DEFAULTS = { count: 1, scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: 0.5, seed: 0 } as const;

/** How each option is named in messages (a flag, a pipeline path). */
export type ViewsNames = Record<keyof ViewsOptions, string>;

export const VIEWS_OPTION_NAMES: ViewsNames = { count: 'views', scale: 'views scale', ratio: 'views ratio', flip: 'views flip', seed: 'views seed' };

function pair(name: string, v: readonly number[], ok: (x: number) => boolean, want: string): [number, number] {
  if (v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && ok(x))) {
    throw new InputError(`${name} is ${show(v)}, expected two numbers (min, max) ${want}`);
  }
  const [lo, hi] = v as [number, number];
  if (lo > hi) throw new InputError(`${name} is ${show(v)}: min ${lo} > max ${hi}`);
  return [lo, hi];
}

function checkCount(name: string, k: number): number {
  if (!Number.isSafeInteger(k) || k < 1 || k > MAX_VIEWS) throw new InputError(`${name} is ${show(k)}, expected an integer in [1, ${MAX_VIEWS}] (views per image)`);
  return k;
}

/**
 * The views a dataset records, or undefined for K = 1 (no views: today's datasets, byte for byte).
 * Throws one InputError naming the option (per `names`) and the reason.
 */
export function resolveViews(options: ViewsOptions = {}, names: ViewsNames = VIEWS_OPTION_NAMES): ViewsMeta | undefined {
  const count = checkCount(names.count, options.count ?? VIEWS_DEFAULTS.count);
  const scale = pair(names.scale, options.scale ?? VIEWS_DEFAULTS.scale, (x) => x > 0 && x <= 1, 'in (0, 1]');
  const ratio = pair(names.ratio, options.ratio ?? VIEWS_DEFAULTS.ratio, (x) => x > 0, '> 0');
  const flip = options.flip ?? VIEWS_DEFAULTS.flip;
  if (!(typeof flip === 'number' && flip >= 0 && flip <= 1)) throw new InputError(`${names.flip} is ${show(flip)}, expected a probability in [0, 1]`);
  const seed = options.seed ?? VIEWS_DEFAULTS.seed;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`${names.seed} is ${show(seed)}, expected an integer ≥ 0`);
  if (count > 1) return { count, scale, ratio, flip, seed };
  const given = (['scale', 'ratio', 'flip', 'seed'] as const).filter((key) => options[key] !== undefined);
  if (given.length > 0) {
    throw new InputError(`${given.map((key) => names[key]).join(', ')} ${given.length > 1 ? 'need' : 'needs'} ${names.count} ≥ 2: view 0 is the plain view, only views 1…K−1 are random crops`);
  }
  return undefined;
}

/** A pipeline's `views`: K alone, or every option (count, scale, ratio, flip, seed). */
export type ViewsSpec = number | ViewsOptions;

export function viewsOptions(spec: ViewsSpec | undefined): ViewsOptions | undefined {
  return typeof spec === 'number' ? { count: spec } : spec;
}

/** K of a dataset: meta.views.count, or 1. */
export function viewCount(meta: { views?: ViewsMeta }): number {
  return meta.views?.count ?? 1;
}

/** Whether two datasets' views agree (both absent, or equal in every field). */
export function sameViews(a: ViewsMeta | undefined, b: ViewsMeta | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The views of a dataset as one line: `K = 4 (scale 0.08–1, ratio 0.75–1.333, flip 0.5, seed 0)` or `no views`. */
export function describeViews(v: ViewsMeta | undefined): string {
  if (!v) return 'no views (K = 1)';
  const r = (x: number): string => String(Math.round(x * 1000) / 1000);
  return `K = ${v.count} (scale ${r(v.scale[0])}–${r(v.scale[1])}, ratio ${r(v.ratio[0])}–${r(v.ratio[1])}, flip ${v.flip}, seed ${v.seed})`;
}
