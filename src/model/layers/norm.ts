import * as tf from '@tensorflow/tfjs-core';
import type { NormParams } from './params.js';

/**
 * LayerNorm over the last axis (biased variance, like torch.nn.LayerNorm). The centred input is
 * computed once and reused for the variance (tf.moments would subtract the mean a second time).
 */
export function layerNorm(x: tf.Tensor, p: NormParams, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.shape.length - 1;
    const centred = tf.sub(x, tf.mean(x, axis, true));
    const variance = tf.mean(tf.square(centred), axis, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), p.weight), p.bias);
  });
}
