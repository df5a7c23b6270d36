/**
 * `cls-attn`: one pass without pruning; a patch's score is the head-averaged post-softmax attention
 * from the CLS query to it at one layer (default the last): `attn[:, :, 0, prefix:].mean(heads)`.
 * Blocks after that layer's attention are not run. rank = all N patches by score.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ViT } from '../../model/vit.js';
import { singleStage, type PatchRanking } from '../select.js';
import { attentionAt, layerIndex, onlyOptions } from './common.js';
import { ModeName, type ModeFactory, type ModeOptions } from './types.js';

/** Runs blocks 0…layer−1 and block `layer`'s attention half; returns its CLS rows [B, N]. */
export async function clsAttentionAt(model: ViT, patches: tf.Tensor3D, layer: number): Promise<Float32Array> {
  const { x, scores } = await attentionAt(model, patches, layer);
  x.dispose();
  return scores;
}

export const clsAttnMode: ModeFactory = (model: ViT, options: ModeOptions) => {
  onlyOptions(ModeName.ClsAttn, options, ['layer']);
  const depth = model.config.depth;
  const layer = layerIndex(options.layer ?? depth - 1, depth, 'cls-attn: layer');
  const n = model.grid.numPatches;
  return {
    name: ModeName.ClsAttn,
    params: { layer },
    async score(patches: tf.Tensor3D): Promise<PatchRanking[]> {
      const rows = await clsAttentionAt(model, patches, layer);
      return Array.from({ length: patches.shape[0] }, (_, b) => singleStage(rows.subarray(b * n, (b + 1) * n)));
    },
  };
};
