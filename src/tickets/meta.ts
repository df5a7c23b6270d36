/** Resolving k and building the dataset metadata of a materialized ticket dataset. */
import type { PatchifyConfig } from '../patchify/types.js';
import { DatasetKind, type AppliedPreprocessing, type DatasetMeta, type EvitTicket, type PatchEncoding, type Policy, type PolicyParams, type SelectorInfo, type ViewsMeta } from '../shards/types.js';
import { metaBase } from '../engine/meta.js';
import type { Source } from '../sources/types.js';
import { InputError, show } from '../util/errors.js';

export interface KeepSpec {
  k?: number;
  keep?: number;
}

/** k and the recorded keep fraction: full → N; else an explicit k, or ceil(keep · N). */
export function resolveK(policy: string, n: number, spec: KeepSpec): { k: number; keep: number; kDerivation: string } {
  if (spec.k !== undefined && spec.keep !== undefined) throw new InputError('give either k or keep, not both');
  if (policy === 'full') {
    if ((spec.k !== undefined && spec.k !== n) || (spec.keep !== undefined && spec.keep !== 1)) {
      throw new InputError(`policy full keeps all ${n} patches; k/keep must not be set otherwise`);
    }
    return { k: n, keep: 1, kDerivation: 'full' };
  }
  if (spec.k !== undefined) {
    if (!Number.isInteger(spec.k) || spec.k < 1 || spec.k > n) throw new InputError(`k is ${show(spec.k)}, expected an integer in [1, ${n}]`);
    return { k: spec.k, keep: spec.k / n, kDerivation: 'explicit' };
  }
  if (spec.keep === undefined) throw new InputError(`policy ${policy} needs k or keep`);
  if (!(spec.keep > 0 && spec.keep <= 1)) throw new InputError(`keep is ${show(spec.keep)}, expected a fraction in (0, 1]`);
  return { k: Math.min(n, Math.ceil(spec.keep * n - 1e-9)), keep: spec.keep, kDerivation: 'fraction' };
}

export interface TicketMetaInput {
  patchify: PatchifyConfig;
  /** Where the preprocessing was read (a selector's checkpoint or score dataset, or `default`: the caller's). */
  preprocessingFrom: AppliedPreprocessing['from'];
  policy: Policy;
  k: number;
  keep: number;
  kDerivation: string;
  seed: number | null;
  source: Pick<Source, 'kind' | 'fingerprint' | 'classes'>;
  split?: string;
  selector?: SelectorInfo | null;
  numClasses?: number | null;
  /** Tickets from EViT scores: the chain and whether the ticket is its survivors or a rank prefix. */
  evitTicket?: EvitTicket;
  /** Policies that read object masks: which masks and how (prior, oracle). */
  policyParams?: PolicyParams;
  /** The score dataset's views (K rows per image); undefined: none. */
  views?: ViewsMeta;
  /** Rows store their patches as one JPEG each (absent: raw bytes). */
  patchEncoding?: PatchEncoding;
}

export function ticketMeta(input: TicketMetaInput): DatasetMeta {
  const base = metaBase(input.patchify, input.preprocessingFrom, input.source, input.split);
  return {
    ...base,
    kind: DatasetKind.Tickets,
    k: input.k,
    keep: input.keep,
    policy: input.policy,
    kDerivation: input.kDerivation,
    seed: input.seed,
    selector: input.selector ?? null,
    numClasses: input.numClasses ?? base.numClasses,
    ...(input.evitTicket ? { evitTicket: input.evitTicket } : {}),
    ...(input.policyParams ? { policyParams: input.policyParams } : {}),
    ...(input.views ? { views: input.views } : {}),
    ...(input.patchEncoding ? { patchEncoding: input.patchEncoding } : {}),
  };
}
