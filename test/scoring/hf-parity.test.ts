import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { configFromHf, type HfVitConfigJson } from '../../src/model/hf_config.js';
import { prepareMode } from '../../src/scoring/modes/index.js';
import { evitKeepCounts } from '../../src/model/evit-counts.js';
import { FIXTURES, loadFixture } from '../model/helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

for (const [name, kind] of [['vit-p8-32', 'hf'], ['deit-p8-32', 'hf'], ['deit-p8-32', 'timm']] as const) {
  test(`cls-attn scores equal the HF reference CLS attention at every layer (${name}, ${kind} weights)`, async () => {
    const f = loadFixture(name);
    const config = configFromHf(f.hfConfig as HfVitConfigJson, { mean: f.mean, std: f.std });
    const file = f.files[kind];
    assert.ok(file, `${name}: no ${kind} weights file`);
    const { vit } = await loadCheckpoint(join(FIXTURES, file), { config });
    const [b, n, p] = f.patchesShape;
    const x = tf.tensor3d(Int32Array.from(f.patches), [b, n, p], 'int32');
    try {
      for (let layer = 0; layer < f.clsAttention.length; layer++) {
        const sels = await prepareMode('cls-attn', vit, { layer }).score(x);
        for (let i = 0; i < b; i++) {
          for (let j = 0; j < n; j++) {
            const want = f.clsAttention[layer][i * n + j];
            assert.ok(Math.abs(sels[i].scores[j] - want) <= 1e-5, `layer ${layer} image ${i} patch ${j}: ${sels[i].scores[j]} vs ${want}`);
          }
        }
      }
      // EViT on the same model: the first stage sees the unpruned layer-0 attention
      const evit = await prepareMode('evit', vit, { rate: 0.7, blocks: [0, 1] }).score(x);
      for (let i = 0; i < b; i++) {
        assert.equal(evit[i].survivors, evitKeepCounts(n, 0.7, 2)[1]);
        const dropped0 = evit[i].rank.slice(evitKeepCounts(n, 0.7, 1)[0]);
        for (const q of dropped0) assert.ok(Math.abs(evit[i].scores[q] - f.clsAttention[0][i * n + q]) <= 1e-5);
      }
    } finally {
      x.dispose();
      vit.dispose();
    }
  });
}
