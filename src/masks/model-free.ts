/**
 * How much of the object the model-free policies keep, before any training: random subsets
 * (expected recall exactly k / N), fixed position rankings (a positional prior, the centre) and the
 * six per-patch pixel rules of recall.ts, on one set of images and their masks; and the condition
 * of issue 26 that a fair test needs: every pixel rule within ±gap of random at every k. Used by
 * the report stage (src/pipeline/report-recall.ts) and scripts/soup-recall.ts.
 */
import { InputError } from '../util/errors.js';
import { measureRecall, patchRules, type RecallInput, type Ranker } from './recall.js';
import type { MaskSet } from './read.js';

/** Expected object recall of a uniformly random k-subset of N patches: k / N, whatever the object. */
export function randomRecall(ks: readonly number[], n: number): number[] {
  return ks.map((k) => k / n);
}

/** The largest |rule − random| over the named rules and every k, with the rule and k where it is. */
export interface RuleGap {
  gap: number;
  rule: string;
  k: number;
}

export interface ModelFreeRecall {
  ks: number[];
  /** Patches per image. */
  n: number;
  /** Mean object patches per image. */
  objectPatches: number;
  /** random's recall at each k (k / N). */
  random: number[];
  /** Per prior (in the order given), then per pixel rule: mean recall at each k. */
  recall: Map<string, number[]>;
  /** The names of the pixel rules among `recall`. */
  rules: string[];
  /** Over the pixel rules; null without any k. */
  worstRuleGap: RuleGap | null;
}

/** The largest |recall − random| of the named rankers over every k. */
export function worstGap(recall: ReadonlyMap<string, readonly number[]>, names: readonly string[], ks: readonly number[], random: readonly number[]): RuleGap | null {
  let worst: RuleGap | null = null;
  for (const rule of names) {
    const r = recall.get(rule);
    if (!r) throw new InputError(`no recall measured for ${rule}`);
    ks.forEach((k, t) => {
      const gap = Math.abs(r[t] - random[t]);
      if (worst === null || gap > worst.gap) worst = { gap, rule, k };
    });
  }
  return worst;
}

/**
 * Recall at each k of the given fixed rankings (`priors`: name → all N positions, best first, the
 * same for every image) and of the six pixel rules, beside random's k / N.
 */
export function modelFreeRecall(input: RecallInput, priors: ReadonlyMap<string, ArrayLike<number>> = new Map()): ModelFreeRecall {
  const { height, width } = input.images;
  const rules = patchRules(height, width, input.patch);
  const rankers = new Map<string, Ranker>([...[...priors].map(([name, rank]): [string, Ranker] => [name, () => rank]), ...rules]);
  const r = measureRecall(input, rankers);
  const random = randomRecall(input.ks, r.n);
  const names = [...rules.keys()];
  return { ks: [...input.ks], n: r.n, objectPatches: r.objectPatches, random, recall: r.recall, rules: names, worstRuleGap: worstGap(r.recall, names, input.ks, random) };
}

/** The masks of the given file indices, in that order (mask j of the result is mask indices[j] of `set`). */
export function masksOf(set: MaskSet, indices: readonly number[]): MaskSet {
  const px = set.height * set.width;
  const data = new Uint8Array(indices.length * px);
  indices.forEach((i, j) => {
    if (!Number.isInteger(i) || i < 0 || i >= set.count) throw new InputError(`no mask ${i}: the file holds ${set.count}`, { file: set.file });
    data.set(set.data.subarray(i * px, (i + 1) * px), j * px);
  });
  return { ...set, count: indices.length, data };
}
