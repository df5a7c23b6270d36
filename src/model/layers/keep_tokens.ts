import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './matmul.js';
import { oneHotRows } from './one_hot.js';

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
    const oneHot = oneHotRows(idx, n); // [B, k, N]
    if (x.rank === 2) return tf.reshape(matMul(tf.reshape(oneHot, [b * k, n]), x), [b, k, d]) as tf.Tensor3D;
    return matMul(oneHot, x) as tf.Tensor3D;
  });
}

/**
 * out[b, j, ...] = x[b, idx[b, j], ...] for any dtype, as one flat gather on [B·N, ...] with
 * offsets b·N. Not differentiable into x via gather's kernel-heavy gradient, so use it where no
 * gradient flows into x (inputs, frozen scoring). Note: tf.gather(x, idx, 1, 1) (batchDims = 1)
 * returns wrong rows for b > 0 on the tfjs 4.22 wasm backend; this avoids batchDims.
 */
export function batchGather(x: tf.Tensor, idx: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const [b, k] = idx.shape;
    const n = x.shape[1] as number;
    const rest = x.shape.slice(2);
    const offsets = tf.reshape(tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(n, 'int32')), [b, 1]);
    const flatIdx = tf.reshape(tf.add(tf.cast(idx, 'int32'), offsets), [b * k]);
    return tf.reshape(tf.gather(tf.reshape(x, [b * n, ...rest]), flatIdx, 0), [b, k, ...rest]);
  });
}

/** Keeps input patches [B, N, P] at positions [B, k] → [B, k, P] (inputs need no gradient). */
export function gatherPatches(patches: tf.Tensor3D, positions: tf.Tensor2D): tf.Tensor3D {
  return batchGather(patches, positions) as tf.Tensor3D;
}
