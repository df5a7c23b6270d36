import * as tf from '@tensorflow/tfjs-core';

/**
 * One-hot float32 rows (exactly 0 and 1) of integer labels of any shape S → [...S, C], as
 * equal(range(C), label) cast to float. Exact on every backend: tfjs-backend-wasm 4.22's
 * `tf.oneHot(labels, C, 1, 0, 'float32')` writes the int 1 into a float buffer (1.4e-45, a
 * denormal), so a loss built on it learns nothing there.
 */
export function oneHotRows(labels: tf.Tensor, numClasses: number): tf.Tensor {
  return tf.tidy(() => {
    const classes = tf.range(0, numClasses, 1, 'int32');
    const column = tf.expandDims(tf.cast(labels, 'int32'), -1);
    return tf.cast(tf.equal(column, classes), 'float32');
  });
}
