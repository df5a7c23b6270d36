/**
 * EViT's token counts (Liang et al. 2022): a pruning block keeps `ceil(rate · n)` of its n patch
 * tokens (at least 1). One owner for every stage that needs them: scoring (the chains), tickets
 * (a chain's survivors), pipeline validation, `dlth inspect` and the trainer's EViT evaluation.
 */
import { InputError } from '../util/errors.js';

/** Number of tokens an EViT stage keeps of `n`: `ceil(rate · n)`, at least 1. */
export function evitKeepCount(n: number, rate: number): number {
  if (!(rate > 0 && rate <= 1)) throw new InputError(`EViT keep rate must be in (0, 1], got ${rate}`);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`token count must be a positive integer, got ${n}`);
  return Math.max(1, Math.min(n, Math.ceil(rate * n)));
}

/** Token counts after each of `stages` EViT stages starting from `n` (196, 0.7, 3 → [138, 97, 68]). */
export function evitKeepCounts(n: number, rate: number, stages: number): number[] {
  const out: number[] = [];
  for (let s = 0, m = n; s < stages; s++) out.push((m = evitKeepCount(m, rate)));
  return out;
}

/** The EViT survivor count of N patches at `rate` over `stages` blocks: ceil(r·n) at each. */
export function evitSurvivors(n: number, rate: number, stages: number): number {
  return stages === 0 ? n : evitKeepCounts(n, rate, stages)[stages - 1];
}
