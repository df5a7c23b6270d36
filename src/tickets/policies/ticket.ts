/**
 * `ticket`: the top-k patches of a score dataset's rank (the order in which the selector would keep
 * them), returned ascending with their scores. With k = the EViT survivor count of the rate the
 * scores were computed with, this is exactly the EViT winning ticket.
 *
 * How k is derived (recorded in the dataset metadata as `kDerivation`):
 * - `explicit`: k given as a count;
 * - `fraction`: k = ceil(keep · N), the rule of every policy (tickets/meta.ts `resolveK`);
 * - `evit-rate`: k = the survivor count of the score dataset's EViT chain, ceil(r·n) applied at each
 *   of its pruning blocks (196 patches, r = 0.7, 3 blocks → 68), so ticket = EViT survivors.
 */
import { InputError, show } from '../../util/errors.js';
import { Policy, type DatasetMeta } from '../../shards/types.js';
import { resolveK } from '../meta.js';
import { chooseChain } from '../chain.js';
import { evitSurvivors } from '../../model/evit-counts.js';
import type { PolicyContext, PolicySpec, PatchSelection } from './types.js';

export function ticketPolicy(ctx: PolicyContext): PatchSelection {
  const row = ctx.scoreRow;
  if (!row) throw new InputError(`policy ticket: sample ${show(ctx.id)} has no score row`);
  if (row.id !== ctx.id) throw new InputError(`policy ticket: score row ${show(row.id)} does not belong to sample ${show(ctx.id)}`);
  if (row.rank.length !== ctx.n || row.scores.length !== ctx.n) {
    throw new InputError(`policy ticket: sample ${show(ctx.id)} has ${row.rank.length} ranked patches, the grid has ${ctx.n}`);
  }
  if (!Number.isInteger(ctx.k) || ctx.k < 1 || ctx.k > ctx.n) throw new InputError(`policy ticket: k = ${ctx.k} is outside 1..${ctx.n}`);
  const positions = row.rank.slice(0, ctx.k).sort();
  const scores = new Float32Array(ctx.k);
  for (let i = 0; i < ctx.k; i++) {
    if (i > 0 && positions[i] === positions[i - 1]) throw new InputError(`policy ticket: sample ${show(ctx.id)} ranks patch ${positions[i]} twice`);
    scores[i] = row.scores[positions[i]];
  }
  return { positions, scores };
}

export const ticketPolicySpec: PolicySpec = { select: ticketPolicy, needsScores: true, seeded: false };

export const KDerivation = { Explicit: 'explicit', Fraction: 'fraction', EvitRate: 'evit-rate' } as const;
export type KDerivation = (typeof KDerivation)[keyof typeof KDerivation];

/** How a ticket dataset's k is asked for: exactly one of the three. */
export interface TicketKSpec {
  k?: number;
  keep?: number;
  keepFrom?: 'evit-rate';
}

export interface TicketK {
  k: number;
  /** k / N, the fraction recorded in metadata. */
  keep: number;
  kDerivation: KDerivation;
}

/** k of a fraction of N patches: the rule every policy shares (tickets/meta.ts), so ticket and random datasets at one keep have one k. */
export function kFromFraction(keep: number, n: number): number {
  return resolveK(Policy.Ticket, n, { keep }).k;
}

export { evitSurvivors };

/**
 * Resolves k for a ticket dataset over a score dataset described by `scoreMeta`; `rate` chooses
 * the chain of a multi-rate dataset (tickets/chain.ts).
 */
export function resolveTicketK(spec: TicketKSpec, scoreMeta: DatasetMeta, rate?: number): TicketK {
  const n = scoreMeta.grid[0] * scoreMeta.grid[1];
  const given = [spec.k !== undefined, spec.keep !== undefined, spec.keepFrom !== undefined].filter(Boolean).length;
  if (given !== 1) throw new InputError('policy ticket: give exactly one of k, keep or keepFrom');
  let k: number;
  let kDerivation: KDerivation;
  if (spec.k !== undefined) {
    if (!Number.isInteger(spec.k) || spec.k < 1 || spec.k > n) throw new InputError(`k = ${show(spec.k)} is outside 1..${n}`);
    [k, kDerivation] = [spec.k, KDerivation.Explicit];
  } else if (spec.keep !== undefined) {
    [k, kDerivation] = [kFromFraction(spec.keep, n), KDerivation.Fraction];
  } else {
    const sel = scoreMeta.selector;
    if (sel?.mode !== 'evit') {
      throw new InputError(`keepFrom "evit-rate" needs scores from mode evit, got ${show(sel?.mode ?? null)}`);
    }
    const survivors = chooseChain(scoreMeta, rate).survivors;
    if (survivors === null) throw new InputError('the score dataset does not record its EViT rate and blocks');
    [k, kDerivation] = [survivors, KDerivation.EvitRate];
  }
  return { k, keep: k / n, kDerivation };
}
