/** The policy registry: name → policy (full, random, ticket, saliency, prior, oracle); `registerPolicy` adds more. */
import { InputError, show } from '../../util/errors.js';
import { fullPolicy } from './full.js';
import { randomPolicy } from './random.js';
import { ticketPolicySpec } from './ticket.js';
import { saliencyPolicySpec } from './saliency.js';
import { priorPolicySpec } from './prior.js';
import { oraclePolicySpec } from './oracle.js';
import type { PolicySpec } from './types.js';

const registry = new Map<string, PolicySpec>([
  ['full', { select: fullPolicy, needsScores: false, seeded: false }],
  ['random', { select: randomPolicy, needsScores: false, seeded: true }],
  ['ticket', ticketPolicySpec],
  ['saliency', saliencyPolicySpec],
  ['prior', priorPolicySpec],
  ['oracle', oraclePolicySpec],
]);

export function registerPolicy(name: string, spec: PolicySpec): void {
  registry.set(name, spec);
}

export function getPolicy(name: string): PolicySpec {
  const spec = registry.get(name);
  if (!spec) throw new InputError(`unknown policy ${show(name)} (known: ${[...registry.keys()].join(', ')})`);
  return spec;
}

export function policyNames(): string[] {
  return [...registry.keys()];
}

export { fullPolicy, randomPolicy };
export { ticketPolicy, ticketPolicySpec, resolveTicketK, type TicketKSpec } from './ticket.js';
export { sampleRng, Xoshiro128 } from './prng.js';
export { saliencyPolicy, saliencyPolicySpec, patchSpread, saliencyRank } from './saliency.js';
export { priorPolicy, priorPolicySpec, priorRank } from './prior.js';
export { oraclePolicy, oraclePolicySpec } from './oracle.js';
export type { PolicyContext, PolicyFn, PolicySpec, PatchSelection } from './types.js';
