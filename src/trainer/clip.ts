/**
 * Gradient clipping by global norm, as PyTorch's `clip_grad_norm_` (norm type 2): the total norm
 * is taken over all gradients together, and every gradient is scaled by min(1, max / (norm + 1e-6)).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ClippedFlat {
  /** The scaled gradient vector (a new tensor; the caller disposes it and the input). */
  grad: tf.Tensor1D;
  /** The global norm before clipping (a scalar tensor the caller disposes). */
  norm: tf.Scalar;
}

export interface Clipped {
  /** The scaled gradients (new tensors; the caller disposes them and the inputs). */
  grads: Record<string, tf.Tensor>;
  /** The global norm before clipping (a scalar tensor the caller disposes). */
  norm: tf.Scalar;
}

/** The L2 norm of all tensors taken together (a scalar). */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar);
}

/** Scales `grads` so their global norm is at most `maxNorm`; `maxNorm <= 0` or non-finite disables clipping. */
export function clipByGlobalNorm(grads: Readonly<Record<string, tf.Tensor>>, maxNorm: number): Clipped {
  const names = Object.keys(grads);
  const norm = globalNorm(names.map((n) => grads[n]));
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    return { grads: Object.fromEntries(names.map((n) => [n, tf.clone(grads[n])])), norm };
  }
  const out = tf.tidy(() => {
    const coef = clipCoefficient(norm, maxNorm);
    return Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], coef)]));
  });
  return { grads: out, norm };
}

/** `clipByGlobalNorm` of all gradients as one vector (flat.ts): the same coefficient, a handful of kernels. */
export function clipFlat(grad: tf.Tensor1D, maxNorm: number): ClippedFlat {
  const norm = tf.tidy(() => tf.sqrt(tf.sum(tf.square(grad))) as tf.Scalar);
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return { grad: tf.clone(grad), norm };
  const out = tf.tidy(() => tf.mul(grad, clipCoefficient(norm, maxNorm)) as tf.Tensor1D);
  return { grad: out, norm };
}

/** min(1, max / (norm + 1e-6)), as PyTorch. */
function clipCoefficient(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))), tf.scalar(1));
}
