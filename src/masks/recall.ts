/**
 * Object recall of patch selections, measured without any model: for each image, the share of its
 * object patches (cover ≥ 1/2, cover.ts) that the first k patches of a ranking keep, averaged
 * over images. The rankings: model-free per-patch pixel rules (standard deviation, mean, gradient
 * energy; highest or lowest first, ties by position as the saliency policy breaks them), a
 * positional prior (one ranking for all images, e.g. prior.ts's from the training masks) and
 * random subsets (expected recall exactly k / N).
 */
import { InputError } from '../util/errors.js';
import { objectPositions, patchCover } from './cover.js';
import { maskAt, type MaskSet } from './read.js';

export const PatchStat = { Std: 'std', Mean: 'mean', Gradient: 'gradient' } as const;
export type PatchStat = (typeof PatchStat)[keyof typeof PatchStat];

/**
 * One statistic per patch of a height×width grayscale image (raster order): `std` the population
 * standard deviation of its pixels, `mean` their mean, `gradient` the mean over its pixels of the
 * squared differences to the right and lower neighbours inside the patch.
 */
export function patchStats(image: Uint8Array, height: number, width: number, patch: number, stat: PatchStat): Float64Array {
  const gh = height / patch;
  const gw = width / patch;
  const out = new Float64Array(gh * gw);
  for (let r = 0; r < gh; r++) {
    for (let c = 0; c < gw; c++) out[r * gw + c] = patchStat(image, width, r * patch, c * patch, patch, stat);
  }
  return out;
}

function patchStat(image: Uint8Array, width: number, y0: number, x0: number, p: number, stat: PatchStat): number {
  let s1 = 0;
  let s2 = 0;
  let g = 0;
  for (let y = y0; y < y0 + p; y++) {
    for (let x = x0; x < x0 + p; x++) {
      const v = image[y * width + x];
      s1 += v;
      s2 += v * v;
      if (x + 1 < x0 + p) g += (image[y * width + x + 1] - v) ** 2;
      if (y + 1 < y0 + p) g += (image[(y + 1) * width + x] - v) ** 2;
    }
  }
  const m = p * p;
  if (stat === PatchStat.Mean) return s1 / m;
  if (stat === PatchStat.Gradient) return g / m;
  return Math.sqrt(Math.max(0, s2 / m - (s1 / m) ** 2));
}

/** Positions by value, highest (or lowest) first, ties by position ascending. */
export function rankByValue(values: Float64Array, lowest = false): Uint16Array {
  const sign = lowest ? -1 : 1;
  return Uint16Array.from({ length: values.length }, (_, j) => j).sort((a, b) => sign * (values[b] - values[a]) || a - b);
}

/** The share of `objects` among the first k of `rank` (1 when there is no object patch). */
export function recallOf(rank: ArrayLike<number>, k: number, objects: ReadonlySet<number>): number {
  if (objects.size === 0) return 1;
  let hit = 0;
  for (let i = 0; i < k; i++) if (objects.has(rank[i])) hit++;
  return hit / objects.size;
}

/** A way of ranking one image's patches: from its pixels (a rule) or the same for every image (a prior). */
export type Ranker = (image: Uint8Array) => ArrayLike<number>;

export interface RecallInput {
  /** Images, [count, height, width] grayscale, aligned with `masks`. */
  images: { data: Uint8Array; count: number; height: number; width: number };
  masks: MaskSet;
  patch: number;
  ks: readonly number[];
}

export interface RecallResult {
  /** Per ranker name: mean recall at each k (same order as `ks`). */
  recall: Map<string, number[]>;
  /** Mean object patches per image, and the patches per image. */
  objectPatches: number;
  n: number;
}

/** Mean object recall at each k of every ranker over the images. */
export function measureRecall(input: RecallInput, rankers: ReadonlyMap<string, Ranker>): RecallResult {
  const { images, masks, patch, ks } = input;
  if (masks.count !== images.count || masks.height !== images.height || masks.width !== images.width) {
    throw new InputError(`${masks.count} masks of ${masks.height}×${masks.width} for ${images.count} images of ${images.height}×${images.width}`, { file: masks.file });
  }
  const px = images.height * images.width;
  const sums = new Map([...rankers.keys()].map((name) => [name, new Float64Array(ks.length)]));
  let objects = 0;
  let n = 0;
  for (let i = 0; i < images.count; i++) {
    const cover = patchCover(maskAt(masks, i), masks.height, masks.width, patch);
    const obj = new Set(objectPositions(cover));
    objects += obj.size;
    n = cover.length;
    const image = images.data.subarray(i * px, (i + 1) * px);
    for (const [name, rank] of rankers) {
      const r = rank(image);
      const s = sums.get(name) as Float64Array;
      ks.forEach((k, t) => (s[t] += recallOf(r, k, obj)));
    }
  }
  const recall = new Map([...sums].map(([name, s]) => [name, [...s].map((v) => v / images.count)]));
  return { recall, objectPatches: objects / images.count, n };
}

/** The six per-patch rules: each statistic, highest and lowest first. */
export function patchRules(height: number, width: number, patch: number): Map<string, Ranker> {
  const rules = new Map<string, Ranker>();
  for (const stat of Object.values(PatchStat)) {
    rules.set(`${stat}, highest`, (img) => rankByValue(patchStats(img, height, width, patch, stat)));
    rules.set(`${stat}, lowest`, (img) => rankByValue(patchStats(img, height, width, patch, stat), true));
  }
  return rules;
}
