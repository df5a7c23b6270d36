/**
 * Minimal training entry points. The model's variables are plain tf.Variables
 * (`vit.trainableVariables()`), so any tfjs optimizer or `tf.variableGrads` works; every op on the
 * gradient path has a wasm kernel (no Conv2DBackpropFilter, no UnsortedSegmentSum, no transposed
 * matmuls: see layers/matmul.ts and layers/keep_tokens.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { oneHotRows } from './layers/one_hot.js';
import type { ViT } from './vit.js';

/** Mean softmax cross entropy of logits [B, C] against int labels [B]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = oneHotRows(labels, logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), 1))) as tf.Scalar;
  });
}

export interface MinimizeStepResult {
  loss: number;
}

/**
 * One optimizer step on a batch: patches [B, k, P], optional positions [B, k], labels [B].
 * Leaves no tensors behind (besides the optimizer's own slots).
 */
export async function minimizeStep(vit: ViT, optimizer: tf.Optimizer, patches: tf.Tensor3D, positions: tf.Tensor2D | undefined, labels: tf.Tensor1D): Promise<MinimizeStepResult> {
  const loss = optimizer.minimize(() => crossEntropy(vit.forward(patches, positions).logits, labels), true, vit.trainableVariables());
  if (!loss) return { loss: NaN };
  const value = (await loss.data())[0];
  loss.dispose();
  return { loss: value };
}
