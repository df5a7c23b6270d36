/**
 * `rollout`: attention rollout (Abnar & Zuidema 2020) over all blocks, without pruning. Per block
 * the head-averaged attention A is mixed with the identity for the residual path,
 * Â = (A + I) / 2 (rows still sum to 1), and the rollout is R = Â_L ⋯ Â_1; a patch's score is
 * R[CLS, patch]. rank = all N patches by score.
 *
 * The model's attention layer only exposes the CLS row, so this mode recomputes each block's full
 * probability matrix from the block's parameters (norm1, fused qkv): an extra attention per block.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Block } from '../../model/block.js';
import { dense } from '../../model/layers/linear.js';
import { layerNorm } from '../../model/layers/norm.js';
import { matMul } from '../../model/layers/matmul.js';
import type { ViT } from '../../model/vit.js';
import { singleStage, type PatchRanking } from '../select.js';
import { onlyOptions, takeFloats } from './common.js';
import { ModeName, type ModeFactory, type ModeOptions } from './types.js';

/** Head-averaged post-softmax attention of `block` on x [B, N, D] → [B, N, N]. */
export function meanAttention(block: Block, x: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, n, d] = x.shape;
    const heads = block.options.heads;
    const hd = d / heads;
    const h = layerNorm(x, block.params.norm1, block.options.layerNormEps);
    const [q, k] = tf.split(dense(h, block.params.attn.qkv), 3, 2);
    const split = (t: tf.Tensor): tf.Tensor3D => tf.reshape(tf.transpose(tf.reshape(t, [b, n, heads, hd]), [0, 2, 1, 3]), [b * heads, n, hd]);
    const logits = matMul(split(tf.mul(q, 1 / Math.sqrt(hd))), tf.transpose(split(k), [0, 2, 1]));
    return tf.mean(tf.reshape(tf.softmax(logits), [b, heads, n, n]), 1) as tf.Tensor3D;
  });
}

export const rolloutMode: ModeFactory = (model: ViT, options: ModeOptions) => {
  onlyOptions(ModeName.Rollout, options, []);
  const { prefix, numPatches } = model.grid;
  return {
    name: ModeName.Rollout,
    params: { residual: 0.5, heads: 'mean' },
    async score(patches: tf.Tensor3D): Promise<PatchRanking[]> {
      const batch = patches.shape[0];
      const t = prefix + numPatches;
      const row = tf.tidy(() => {
        let x = model.embed(patches);
        let r: tf.Tensor = tf.eye(t, t, [batch]);
        model.blocks.forEach((block, i) => {
          const a = tf.mul(tf.add(meanAttention(block, x), tf.eye(t, t, [batch])), 0.5);
          r = matMul(a, r);
          if (i < model.blocks.length - 1) x = block.forward(x).x;
        });
        return tf.reshape(tf.slice(r, [0, 0, prefix], [batch, 1, numPatches]), [batch, numPatches]);
      });
      const rows = await takeFloats(row);
      return Array.from({ length: batch }, (_, b) => singleStage(rows.subarray(b * numPatches, (b + 1) * numPatches)));
    },
  };
};
