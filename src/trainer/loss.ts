/**
 * Label-smoothing cross entropy, as timm's `LabelSmoothingCrossEntropy`:
 * loss = mean over the batch of (1 − s)·(−log p_y) + s·mean_c(−log p_c).
 * With s = 0 it is plain cross entropy. Uses only kernels every backend has (logSoftmax is
 * composed of max/sub/exp/sum/log in tfjs-core); the one-hot is exact on wasm too (one_hot.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { oneHotRows } from '../model/layers/one_hot.js';

/** Per-sample losses [B] from logits [B, C] and integer labels [B]. */
export function smoothedCrossEntropyPerSample(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number): tf.Tensor1D {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const logProbs = tf.logSoftmax(logits, -1);
    const oneHot = oneHotRows(labels, numClasses); // not tf.oneHot: wrong on wasm (see one_hot.ts)
    const nll = tf.neg(tf.sum(tf.mul(logProbs, oneHot), -1));
    if (smoothing === 0) return nll as tf.Tensor1D;
    const smooth = tf.neg(tf.mean(logProbs, -1));
    return tf.add(tf.mul(nll, tf.scalar(1 - smoothing)), tf.mul(smooth, tf.scalar(smoothing))) as tf.Tensor1D;
  });
}

/** Mean label-smoothing cross entropy over the batch (a scalar). */
export function smoothedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number): tf.Scalar {
  return tf.tidy(() => tf.mean(smoothedCrossEntropyPerSample(logits, labels, smoothing)) as tf.Scalar);
}

/** Number of samples whose arg-max logit equals the label (an int32 scalar). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'int32')) as tf.Scalar);
}
