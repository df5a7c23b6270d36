import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import type { ConcreteBackend } from '../../src/backend/types.js';
import { lcg, NATIVE_SKIP, nativeBuilt } from './helpers.js';

const A = lcg(2 * 17 * 48, 1);
const B = lcg(48 * 40, 2);

/** softmax(A·B) over the last axis, for A [2,17,48] and B [48,40]; leaves no tensor behind. */
function matmulSoftmax(): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor3d(A, [2, 17, 48]);
    const b = tf.tensor2d(B, [48, 40]);
    const logits = tf.reshape(tf.matMul(tf.reshape(a, [34, 48]), b), [2, 17, 40]);
    return tf.softmax(tf.mul(logits, 4)).dataSync() as Float32Array;
  });
}

const backends: ConcreteBackend[] = ['cpu', 'wasm', 'tensorflow'];
const results = new Map<ConcreteBackend, Float32Array>();

for (const backend of backends) {
  const skip = backend === 'tensorflow' && !nativeBuilt() ? NATIVE_SKIP : false;
  test(`${backend}: matmul+softmax runs and a tidy op leaks no tensor`, { skip }, async () => {
    await initBackend({ backend });
    assert.equal(tf.getBackend(), backend);
    const before = tf.memory().numTensors;
    const out = matmulSoftmax();
    assert.equal(tf.memory().numTensors, before);
    assert.equal(out.length, 2 * 17 * 40);
    results.set(backend, out);
  });
}

test('every available backend gives the same values (1e-5)', () => {
  const ref = results.get('cpu');
  assert.ok(ref, 'cpu reference computed');
  for (const [backend, out] of results) {
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(out[i] - ref[i]));
    assert.ok(worst <= 1e-5, `${backend} differs from cpu by ${worst}`);
  }
  for (let row = 0; row < 34; row++) {
    const sum = ref.subarray(row * 40, row * 40 + 40).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `softmax row ${row} sums to ${sum}`);
  }
});
