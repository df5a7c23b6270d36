/**
 * `oracle`: the image's own object patches, a control that knows where the object is. Every patch
 * gets a key: its cover (the fraction of its pixels under the image's mask) when it is an object
 * patch (cover ≥ 1/2), else 0. Patches are ranked by key descending, ties in a seeded random order
 * (the per-sample generator of `random`, prng.ts: a Fisher–Yates permutation of [0, N), for i from
 * N − 1 down to 1 swap a[i] with a[below(i + 1)]; a patch's tie rank is its index in it). The first
 * k are kept, ascending; scores NaN. So: all object patches filled to k with random other patches,
 * or, when the object has more than k, its k most covered ones.
 */
import { InputError, show } from '../../util/errors.js';
import { OBJECT_AT } from '../../masks/cover.js';
import { sampleRng } from './prng.js';
import type { PolicyContext, PolicySpec, PatchSelection } from './types.js';

/** Each position's rank in a seeded random order of [0, n). */
function tieOrder(seed: number, id: string, n: number): Uint16Array {
  const rng = sampleRng(seed, id);
  const a = Uint16Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  const rank = new Uint16Array(n);
  a.forEach((p, r) => (rank[p] = r));
  return rank;
}

export function oraclePolicy(ctx: PolicyContext): PatchSelection {
  const cover = ctx.cover;
  if (!cover) throw new InputError(`policy oracle: sample ${show(ctx.id)} has no object mask`);
  if (cover.length !== ctx.n) throw new InputError(`policy oracle: sample ${show(ctx.id)}'s mask covers ${cover.length} patches, the grid has ${ctx.n}`);
  if (!Number.isInteger(ctx.k) || ctx.k < 1 || ctx.k > ctx.n) throw new InputError(`policy oracle: k = ${ctx.k} is outside 1..${ctx.n}`);
  const key = (j: number): number => (cover[j] >= OBJECT_AT ? cover[j] : 0);
  const tie = tieOrder(ctx.seed, ctx.id, ctx.n);
  const order = Uint16Array.from({ length: ctx.n }, (_, j) => j).sort((a, b) => key(b) - key(a) || tie[a] - tie[b]);
  return { positions: order.slice(0, ctx.k).sort(), scores: new Float32Array(ctx.k).fill(NaN) };
}

export const oraclePolicySpec: PolicySpec = { select: oraclePolicy, needsScores: false, seeded: true, masks: 'sample' };
