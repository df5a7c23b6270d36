#!/usr/bin/env node
// Exit 0 when @tensorflow/tfjs-node (or the package named in argv[2]) loads and computes a matmul
// on the native "tensorflow" backend; print one line saying what was found. Used by setup-native.sh.
'use strict';
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
const pkg = process.argv[2] || '@tensorflow/tfjs-node';
try {
  const tf = require(pkg);
  const out = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync());
  if (tf.getBackend() !== 'tensorflow' || out[0] !== 17 || out[1] !== 39) {
    throw new Error(`wrong result ${Array.from(out)} on backend ${tf.getBackend()}`);
  }
  const core = require('@tensorflow/tfjs-core');
  const shared = core.engine() === tf.engine() ? 'shared tfjs-core ' + core.version_core : 'SEPARATE tfjs-core';
  console.log(`ok: ${pkg} loads; TensorFlow ${tf.backend().binding.TF_Version}; ${shared}`);
} catch (err) {
  console.log(`not loadable: ${String(err && err.message ? err.message : err).split('\n')[0]}`);
  process.exit(1);
}
