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
  return tf.tidy(() => perSample(tf.logSoftmax(logits, -1), oneHotRows(labels, logits.shape[1]), smoothing));
}

/** (1 − s)·(−log p_y) + s·mean_c(−log p_c) per row. */
function perSample(logProbs: tf.Tensor2D, oneHot: tf.Tensor, smoothing: number): tf.Tensor1D {
  const nll = tf.neg(tf.sum(tf.mul(logProbs, oneHot), -1)); // oneHot: not tf.oneHot, wrong on wasm (see one_hot.ts)
  if (smoothing === 0) return nll as tf.Tensor1D;
  const smooth = tf.neg(tf.mean(logProbs, -1));
  return tf.add(tf.mul(nll, tf.scalar(1 - smoothing)), tf.mul(smooth, tf.scalar(smoothing))) as tf.Tensor1D;
}

/**
 * Mean label-smoothing cross entropy over the batch (a scalar), as one op with its analytic
 * gradient: with target t = (1 − s)·onehot + s/C, d loss / d logits = (softmax(logits) − t) / B.
 * (Autodiff of the composed forward records some forty kernels for a [B, C] tensor.)
 */
export function smoothedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const [b, numClasses] = z.shape;
    const logProbs = tf.logSoftmax(z, -1);
    const oneHot = oneHotRows(labels, numClasses);
    save([logProbs, oneHot]);
    return {
      value: tf.mean(perSample(logProbs, oneHot, smoothing)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [lp, oh] = saved;
        const target = smoothing === 0 ? oh : tf.add(tf.mul(oh, 1 - smoothing), smoothing / numClasses);
        return [tf.mul(tf.sub(tf.exp(lp), target), tf.div(dy, b))];
      },
    };
  }) as (z: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}

/**
 * Mean soft-target cross entropy (timm's SoftTargetCrossEntropy, for mixup/cutmix): the mean over
 * the batch of −Σ_c t_c·log p_c, with targets [B, C] summing to 1 per row; gradient (softmax − t) / B.
 */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const logProbs = tf.logSoftmax(z, -1);
    save([logProbs]);
    return {
      value: tf.mean(tf.neg(tf.sum(tf.mul(logProbs, targets), -1))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(tf.sub(tf.exp(saved[0] as tf.Tensor), targets), tf.div(dy, z.shape[0]))],
    };
  }) as (z: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}

/** Number of samples whose arg-max logit equals the label (an int32 scalar). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'int32')) as tf.Scalar);
}
