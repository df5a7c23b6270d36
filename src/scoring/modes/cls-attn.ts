/**
 * `cls-attn`: one pass without pruning; a patch's score is the head-averaged post-softmax attention
 * from the CLS query to it at one layer (default the last): `attn[:, :, 0, prefix:].mean(heads)`.
 * Blocks after that layer's attention are not run. rank = all N patches by score.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ViT } from '../../model/vit.js';
import { ModelError } from '../../util/errors.js';
import { singleStage, type Selection } from '../select.js';
import { layerIndex, onlyOptions, takeFloats } from './common.js';
import { ModeName, type ModeFactory, type ModeOptions } from './types.js';

/** Runs blocks 0…layer−1 and block `layer`'s attention half; returns its CLS rows [B, N]. */
export async function clsAttentionAt(model: ViT, patches: tf.Tensor3D, layer: number): Promise<Float32Array> {
  let x = model.embed(patches);
  try {
    for (let i = 0; i < layer; i++) {
      const y = model.blocks[i].forward(x);
      x.dispose();
      x = y.x;
    }
    const a = model.blocks[layer].forwardAttention(x, { returnClsAttention: true });
    a.x.dispose();
    if (!a.clsAttention) throw new ModelError('the model returned no CLS attention');
    return await takeFloats(a.clsAttention);
  } finally {
    x.dispose();
  }
}

export const clsAttnMode: ModeFactory = (model: ViT, options: ModeOptions) => {
  onlyOptions(ModeName.ClsAttn, options, ['layer']);
  const depth = model.config.depth;
  const layer = layerIndex(options.layer ?? depth - 1, depth, 'cls-attn: layer');
  const n = model.grid.numPatches;
  return {
    name: ModeName.ClsAttn,
    params: { layer },
    async score(patches: tf.Tensor3D): Promise<Selection[]> {
      const rows = await clsAttentionAt(model, patches, layer);
      return Array.from({ length: patches.shape[0] }, (_, b) => singleStage(rows.subarray(b * n, (b + 1) * n)));
    },
  };
};
