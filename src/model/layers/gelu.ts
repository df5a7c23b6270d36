import * as tf from '@tensorflow/tfjs-core';
import { dlthKernels, geluGradKernel, geluKernel } from './native.js';

const LOG_TWO_OVER_SQRT_PI = Math.log(2 / Math.sqrt(Math.PI));

/**
 * u·(1 + erf(u)) = √2·GELU(√2·u): GELU with its two constant scalings moved into the neighbouring
 * dense layers (the MLP feeds u = z/√2 and scales fc2 by 1/√2), so the activation costs three
 * element-wise ops on the widest tensor of the block instead of five. Gradient 1 + erf(u) + u·(2/√π)·e^(−u²),
 * with 1 + erf(u) kept from the forward.
 */
export const geluFolded: (u: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [u, save] = args as [tf.Tensor, tf.GradSaveFunc];
  if (dlthKernels()) {
    // One kernel each way (erf recomputed in the backward instead of saved).
    save([u]);
    return { value: geluKernel(u), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [geluGradKernel(dy, saved[0])] };
  }
  const onePlusErf = tf.add(tf.erf(u), 1);
  save([u, onePlusErf]);
  return {
    value: tf.mul(u, onePlusErf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [su, se] = saved;
      const pdf = tf.exp(tf.sub(LOG_TWO_OVER_SQRT_PI, tf.square(su))); // (2/√π)·e^(−u²) in three passes, not four
      return [tf.mul(dy, tf.add(se, tf.mul(su, pdf)))];
    },
  };
}) as (u: tf.Tensor) => tf.Tensor;

/**
 * Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (torch.nn.GELU() and HF's "gelu"; not the tanh
 * approximation), as GELU(x) = geluFolded(x/√2)/√2. The model's MLP uses geluFolded directly.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(geluFolded(tf.mul(x, Math.SQRT1_2)), Math.SQRT1_2));
}
