import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './matmul.js';

/**
 * Per-sample row selection out[b, j, :] = x[b, idx[b, j], :] as a one-hot matmul, so its gradient
 * is a matmul too (tf.gather's gradient needs UnsortedSegmentSum, which wasm lacks).
 * x: [B, N, D] float (or [N, D], shared by all samples); idx: [B, k] int32, each in [0, N).
 * Out-of-range indices give zero rows (validate host-side, see `toModelInput`).
 */
export function gatherTokens(x: tf.Tensor, idx: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, k] = idx.shape;
    const n = x.shape[x.shape.length - 2];
    const d = x.shape[x.shape.length - 1];
    const oneHot = tf.cast(tf.oneHot(tf.cast(idx, 'int32'), n), 'float32'); // [B, k, N]
    if (x.rank === 2) return tf.reshape(matMul(tf.reshape(oneHot, [b * k, n]), x), [b, k, d]) as tf.Tensor3D;
    return matMul(oneHot, x) as tf.Tensor3D;
  });
}

/**
 * Keeps input patches [B, N, P] at positions [B, k] → [B, k, P]. The model's inputs need no
 * gradient, so a plain batched gather is used here (no UnsortedSegmentSum on any path).
 */
export function gatherPatches(patches: tf.Tensor3D, positions: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => tf.gather(patches, tf.cast(positions, 'int32'), 1, 1) as tf.Tensor3D);
}
