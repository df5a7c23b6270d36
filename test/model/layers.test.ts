/** Custom gradients (matmul, GELU) agree with autodiff of the plain ops. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { gelu } from '../../src/model/layers/gelu.js';
import { gatherTokens } from '../../src/model/layers/keep_tokens.js';
import { matMul } from '../../src/model/layers/matmul.js';
import { availableBackends, compare, useBackend } from './helpers.js';

for (const backend of await availableBackends()) {
  describe(`layers on ${backend}`, () => {
    it('matMul and gelu gradients match autodiff; gatherTokens matches gather', async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const a = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 1);
        const b = tf.randomNormal([3, 4, 6], 0, 1, 'float32', 2);
        const w = tf.randomNormal([3, 5, 6], 0, 1, 'float32', 3);
        const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(gelu(matMul(x, y)), w)))([a, b]);
        const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) => {
          const z = tf.matMul(x, y);
          return tf.sum(tf.mul(tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1)), w));
        })([a, b]);
        ours.forEach((g, i) => assert.ok(compare(g.dataSync(), ref[i].dataSync(), 1e-4).ok, `grad ${i}`));
        const x = tf.randomNormal([2, 7, 3], 0, 1, 'float32', 4);
        const idx = tf.tensor2d([[6, 0, 2], [1, 1, 5]], [2, 3], 'int32');
        const expected = [0, 1].flatMap((s) => [6, 0, 2, 1, 1, 5].slice(s * 3, s * 3 + 3).flatMap((r) => Array.from(x.dataSync().subarray((s * 7 + r) * 3, (s * 7 + r + 1) * 3))));
        assert.deepEqual(Array.from(gatherTokens(x, idx).dataSync()), expected);
      });
      assert.equal(tf.memory().numTensors, before);
    });
  });
}
