import * as tf from '@tensorflow/tfjs-core';
import { geluFolded } from './gelu.js';
import { dense } from './matmul.js';
import type { MlpParams } from './params.js';

const S = Math.SQRT1_2;

/**
 * fc1 → exact GELU → fc2 (timm Mlp; HF ViTIntermediate + ViTOutput without the residual). GELU's
 * two constant scalings are moved into the weights (fc1 by 1/√2, fc2's weight by 1/√2; see
 * geluFolded): the same function, two fewer element-wise passes over the widest activation.
 */
export function mlp(x: tf.Tensor, p: MlpParams): tf.Tensor {
  return tf.tidy(() => {
    const fc1 = { weight: tf.mul(p.fc1.weight, S), bias: p.fc1.bias ? tf.mul(p.fc1.bias, S) : null };
    const fc2 = { weight: tf.mul(p.fc2.weight, S), bias: p.fc2.bias };
    return dense(geluFolded(dense(x, fc1)), fc2);
  });
}
