/**
 * The policy interface: one function per policy, one shared signature. A policy picks the k kept
 * patches of one sample from its id and grid size (and, for `ticket`, its score row; for `oracle`,
 * its object mask's cover; for `prior`, a mask set's object frequency); it must not depend on
 * order, concurrency or partitioning.
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
  /** Grid rows and columns (policies that use geometry, such as prior's centre). */
  grid?: readonly [number, number];
  /** The sample's object cover: per patch, the fraction of its pixels under its mask (policy oracle). */
  cover?: Float32Array;
  /** Per patch, the fraction of a mask set's masks in which it is object (policy prior; absent: none, the centre decides). */
  prior?: Float64Array;
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
  /**
   * The object masks the policy reads: `sample`, each image's own (materialize option `masks`,
   * required, aligned with the source); `prior`, a mask set pooled into a per-position frequency
   * (option `priorMasks`, optional). Absent: none.
   */
  masks?: 'sample' | 'prior';
}
