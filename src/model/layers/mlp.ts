import * as tf from '@tensorflow/tfjs-core';
import { geluFolded } from './gelu.js';
import { linear, normLinear } from './linear.js';
import type { DenseLike } from './matmul.js';
import type { MlpParams, NormParams } from './params.js';

const S = Math.SQRT1_2;

/**
 * fc1 → exact GELU → fc2 on rows [T, D] (timm Mlp; HF ViTIntermediate + ViTOutput without the
 * residual). GELU's two constant scalings are moved into the weights (fc1 by 1/√2, fc2's weight by
 * 1/√2; see geluFolded): the same function, two fewer element-wise passes over the widest activation.
 * With `norm`, x is a LayerNorm's x̂ and the norm's γ, β are folded into fc1 (normLinear).
 */
export function mlpRows(x: tf.Tensor2D, p: { fc1: DenseLike; fc2: DenseLike }, norm?: NormParams): tf.Tensor2D {
  return tf.tidy(() => {
    const scale = { weight: S, bias: S };
    const h = norm ? normLinear(x, norm, p.fc1, scale) : linear(x, p.fc1, scale);
    return linear(geluFolded(h) as tf.Tensor2D, p.fc2, { weight: S });
  });
}

/** `mlpRows` over the last axis of x [..., D]. */
export function mlp(x: tf.Tensor, p: MlpParams): tf.Tensor {
  return tf.tidy(() => {
    const d = x.shape[x.shape.length - 1];
    const y = mlpRows((x.rank === 2 ? x : tf.reshape(x, [-1, d])) as tf.Tensor2D, p);
    return x.rank === 2 ? y : tf.reshape(y, x.shape);
  });
}
