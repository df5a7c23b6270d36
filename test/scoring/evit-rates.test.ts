/** Several EViT rates in one pass: each chain equals the single-rate mode's, with no tensor left behind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { prepareMode } from '../../src/scoring/modes/index.js';
import { evitChains } from '../../src/scoring/modes/evit.js';
import { availableBackends, useBackend } from '../model/helpers.js';

test('evitChains at 0.9, 0.8, 0.7 equals three single-rate passes, on every backend', async () => {
  for (const b of await availableBackends()) {
    await useBackend(b);
    const vit = ViT.init(variantConfig('vit-mini-p4-28'), 3);
    const x = tf.tensor3d(Int32Array.from({ length: 4 * 49 * 16 }, (_, i) => (i * 2654435761) % 251), [4, 49, 16], 'int32');
    try {
      const before = tf.memory().numTensors;
      const chains = await evitChains(vit, x, [0.9, 0.8, 0.7]);
      assert.equal(tf.memory().numTensors, before, `${b}: tensors leaked`);
      for (const [r, rate] of [0.9, 0.8, 0.7].entries()) {
        const single = await prepareMode('evit', vit, { rate }).score(x);
        single.forEach((s, i) => {
          assert.deepEqual([...chains[r][i].rank], [...s.rank], `${b} rate ${rate} image ${i}: rank`);
          assert.deepEqual([...chains[r][i].scores], [...s.scores], `${b} rate ${rate} image ${i}: scores`);
          assert.equal(chains[r][i].survivors, s.survivors);
        });
      }
      assert.deepEqual(chains.map((c) => c[0].survivors), [37, 26, 18]);
    } finally {
      x.dispose();
      vit.dispose();
    }
  }
});
