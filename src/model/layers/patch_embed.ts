import * as tf from '@tensorflow/tfjs-core';
import { dense } from './linear.js';
import type { DenseParams } from './params.js';

/**
 * Per-element normalisation of flattened patches laid out (row, col, channel): element i has
 * channel i mod C, and x = u·scale + offset with scale = 1/(255·std), offset = −mean/std.
 * Returns host arrays of length patchDim; the model turns them into constant tensors once.
 */
export function normalisationVectors(patchDim: number, mean: number[], std: number[]): { scale: Float32Array; offset: Float32Array } {
  const c = mean.length;
  const scale = new Float32Array(patchDim);
  const offset = new Float32Array(patchDim);
  for (let i = 0; i < patchDim; i++) {
    scale[i] = 1 / (255 * std[i % c]);
    offset[i] = -mean[i % c] / std[i % c];
  }
  return { scale, offset };
}

/**
 * Patch embedding as one matmul over flattened patches (equivalent to timm's stride-p Conv2d, whose
 * [D, C, p, p] weight the checkpoint import permutes to [(row, col, channel), D]).
 * patches: [B, k, p·p·C] raw pixel values 0–255 (int32 or float32) → tokens [B, k, D].
 */
export function patchEmbed(patches: tf.Tensor3D, p: DenseParams, scale: tf.Tensor1D, offset: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => {
    const x = tf.add(tf.mul(tf.cast(patches, 'float32'), scale), offset);
    return dense(x, p) as tf.Tensor3D;
  });
}
