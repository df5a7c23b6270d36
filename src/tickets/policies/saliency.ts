/**
 * `saliency`: a model-free ticket — the k patches with the highest pixel standard deviation, the
 * baseline every selector should beat and a selector that costs nothing. Specified exactly
 * (schemas/README.md) so any language reproduces it:
 * for each patch, over its m = p·p·C bytes x: S1 = Σx, S2 = Σx² (exact integers);
 * v = m·S2 − S1² (an exact integer, m² times the population variance). Patches are ranked by v
 * descending, ties broken by the smaller position; the top k are returned ascending, each with its
 * score = sqrt(v) / m (the population standard deviation, in pixel units, as float32).
 */
import { InputError, show } from '../../util/errors.js';
import type { PolicyContext, PolicySpec, PatchSelection } from './types.js';

/** m² × the population variance of each of the n patches (raster order) of `patches`. */
export function patchSpread(patches: Uint8Array, n: number): Float64Array {
  const m = patches.length / n;
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s1 = 0;
    let s2 = 0;
    for (let i = j * m, end = i + m; i < end; i++) {
      const x = patches[i];
      s1 += x;
      s2 += x * x;
    }
    v[j] = m * s2 - s1 * s1;
  }
  return v;
}

/** Positions ranked by spread descending, ties by position ascending. */
export function saliencyRank(spread: Float64Array): Uint16Array {
  const order = Uint16Array.from({ length: spread.length }, (_, i) => i);
  return order.sort((a, b) => spread[b] - spread[a] || a - b);
}

export function saliencyPolicy(ctx: PolicyContext): PatchSelection {
  const px = ctx.patches;
  if (!px) throw new InputError(`policy saliency: sample ${show(ctx.id)} has no pixels`);
  if (px.length === 0 || px.length % ctx.n !== 0) throw new InputError(`policy saliency: ${px.length} bytes do not split into ${ctx.n} patches`);
  if (!Number.isInteger(ctx.k) || ctx.k < 1 || ctx.k > ctx.n) throw new InputError(`policy saliency: k = ${ctx.k} is outside 1..${ctx.n}`);
  const m = px.length / ctx.n;
  const spread = patchSpread(px, ctx.n);
  const positions = saliencyRank(spread).slice(0, ctx.k).sort();
  const scores = new Float32Array(ctx.k);
  for (let i = 0; i < ctx.k; i++) scores[i] = Math.sqrt(spread[positions[i]]) / m;
  return { positions, scores };
}

export const saliencyPolicySpec: PolicySpec = { select: saliencyPolicy, needsScores: false, seeded: false };
