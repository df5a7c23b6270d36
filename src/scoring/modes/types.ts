/**
 * The scoring-mode interface: one file per mode, one shared signature, a small registry (index.ts).
 * A mode factory validates and fills its parameters for a given model once; the prepared mode then
 * scores batches of full-grid patches on the active backend and returns one `PatchRanking` (rank,
 * per-patch scores, survivor count) per image. Modes own their tensors: a call leaves
 * `tf.memory().numTensors` unchanged.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ViT } from '../../model/vit.js';
import type { SelectorInfo } from '../../shards/types.js';
import type { PatchRanking } from '../select.js';

export const ModeName = { Evit: 'evit', ClsAttn: 'cls-attn', Rollout: 'rollout' } as const;
export type ModeName = (typeof ModeName)[keyof typeof ModeName];

/** What a user may set; each mode reads the fields it knows and rejects the others. */
export interface ModeOptions {
  /**
   * evit: keep rate r in (0, 1], or several distinct rates: one chain per rate on the same batch,
   * all stored (a dataset with meta.rates), the first in `scores`/`rank`.
   */
  rate?: number | number[];
  /** evit: 0-based pruning block indices (ascending). */
  blocks?: number[];
  /** cls-attn: 0-based layer whose CLS attention is the score (negative counts from the end). */
  layer?: number;
}

export interface PreparedMode {
  name: ModeName;
  /** Resolved parameters, recorded in the score dataset's metadata (`selector.params`). */
  params: SelectorInfo['params'];
  /**
   * Scores a batch: `patches` [B, N, p·p·C] raw pixels (int32 or float32) of the full grid in
   * raster order. Does not dispose `patches`.
   */
  score(patches: tf.Tensor3D): Promise<PatchRanking[]>;
  /**
   * Modes that run several chains per batch (evit at several rates): every chain, [chain][image],
   * the first equal to `score`'s. Absent: one chain.
   */
  scoreChains?(patches: tf.Tensor3D): Promise<PatchRanking[][]>;
}

export type ModeFactory = (model: ViT, options: ModeOptions) => PreparedMode;
