import * as tf from '@tensorflow/tfjs-core';

/**
 * x + y for two tensors of one shape, whose gradient passes dy to both as it is (tfjs's add records
 * a reshape of dy per input, two kernels per residual connection each step).
 */
export const residual: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, y] = args as [tf.Tensor, tf.Tensor];
  return {
    value: tf.add(x, y),
    // Two handles of dy: the tape may dispose one input's gradient when it accumulates into it.
    gradFunc: (dy: tf.Tensor) => [tf.clone(dy), tf.clone(dy)],
  };
}) as (x: tf.Tensor, y: tf.Tensor) => tf.Tensor;
