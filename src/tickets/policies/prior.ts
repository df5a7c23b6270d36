/**
 * `prior`: a positional prior, the same k positions for every image. Positions are ranked by their
 * object frequency in a mask set (`priorMasks`, e.g. the training split's masks: the share of masks
 * in which the patch is object, cover ≥ 1/2), descending; ties (every position, without masks) by
 * squared distance of the patch centre to the grid centre, ascending, then by position ascending.
 * The first k are kept, ascending; scores NaN. Without masks it is the fixed centre ticket. It
 * needs no pixels: a control for how much of the object a position-only rule keeps.
 */
import { InputError } from '../../util/errors.js';
import type { PolicyContext, PolicySpec, PatchSelection } from './types.js';

/** All n positions of a gh×gw grid, best first, by frequency (absent: all equal), then centre distance, then position. */
export function priorRank(gh: number, gw: number, frequency?: Float64Array): Uint16Array {
  const n = gh * gw;
  if (frequency && frequency.length !== n) throw new InputError(`policy prior: a frequency of ${frequency.length} positions for a ${gh}×${gw} grid`);
  const d2 = (j: number): number => (Math.floor(j / gw) - (gh - 1) / 2) ** 2 + ((j % gw) - (gw - 1) / 2) ** 2;
  const f = (j: number): number => (frequency ? frequency[j] : 0);
  return Uint16Array.from({ length: n }, (_, j) => j).sort((a, b) => f(b) - f(a) || d2(a) - d2(b) || a - b);
}

export function priorPolicy(ctx: PolicyContext): PatchSelection {
  const [gh, gw] = ctx.grid ?? [Math.sqrt(ctx.n), Math.sqrt(ctx.n)];
  if (!Number.isInteger(gh) || gh * gw !== ctx.n) throw new InputError(`policy prior: the ${ctx.n}-patch grid is not square; give its rows and columns`);
  if (!Number.isInteger(ctx.k) || ctx.k < 1 || ctx.k > ctx.n) throw new InputError(`policy prior: k = ${ctx.k} is outside 1..${ctx.n}`);
  const positions = priorRank(gh, gw, ctx.prior).slice(0, ctx.k).sort();
  return { positions, scores: new Float32Array(ctx.k).fill(NaN) };
}

export const priorPolicySpec: PolicySpec = { select: priorPolicy, needsScores: false, seeded: false, masks: 'prior' };
