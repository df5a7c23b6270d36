import * as tf from '@tensorflow/tfjs-core';
import { gelu } from './gelu.js';
import { dense } from './matmul.js';
import type { MlpParams } from './params.js';

/** fc1 → exact GELU → fc2 (timm Mlp; HF ViTIntermediate + ViTOutput without the residual). */
export function mlp(x: tf.Tensor, p: MlpParams): tf.Tensor {
  return tf.tidy(() => dense(gelu(dense(x, p.fc1)), p.fc2));
}
