import * as tf from '@tensorflow/tfjs-core';
import type { NormParams } from './params.js';

/** LayerNorm over the last axis (biased variance, like torch.nn.LayerNorm). */
export function layerNorm(x: tf.Tensor, p: NormParams, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.shape.length - 1;
    const { mean, variance } = tf.moments(x, axis, true);
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(xhat, p.weight), p.bias);
  });
}
