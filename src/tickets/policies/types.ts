/**
 * The policy interface: one function per policy, one shared signature. A policy picks the k kept
 * patches of one sample from its id and grid size (and, for `ticket`, its score row); it must not
 * depend on order, concurrency or partitioning.
 */
import type { ScoreRow } from '../../shards/types.js';

export interface PolicyContext {
  id: string;
  /** Patches in the full grid. */
  n: number;
  /** Patches to keep (1 ≤ k ≤ n). */
  k: number;
  /** The dataset seed (random policies). */
  seed: number;
  /** The sample's row of the score dataset (ticket policies). */
  scoreRow?: ScoreRow;
  /** The sample's n patches, each p·p·C bytes, in raster order (pixel policies such as saliency). */
  patches?: Uint8Array;
}

export interface PatchSelection {
  /** k strictly ascending raster indices. */
  positions: Uint16Array;
  /** k scores aligned with positions (NaN where the policy has none). */
  scores: Float32Array;
}

export type PolicyFn = (ctx: PolicyContext) => PatchSelection;

export interface PolicySpec {
  select: PolicyFn;
  /** Whether the policy needs a score dataset (`scores`). */
  needsScores: boolean;
  /** Whether the policy uses the seed (recorded in metadata as null otherwise). */
  seeded: boolean;
}
