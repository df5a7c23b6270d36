import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { configFromHf, type HfVitConfigJson } from '../../src/model/hf_config.js';
import { prepareMode } from '../../src/scoring/modes/index.js';
import { FIXTURES, loadFixture } from '../model/helpers.js';

// Tickets from the official EViT forward (test/scoring/fixtures/make_evit_official.py, float64)
interface Reference {
  cases: { rate: number; blocks: number[]; tickets: number[][] }[];
}


before(async () => {
  await initBackend({ backend: 'cpu' });
});

test('evit tickets equal the official EViT code on the HF ViT fixture', async () => {
  const ref = JSON.parse(readFileSync('test/scoring/fixtures/evit-official.json', 'utf8')) as Reference;
  const f = loadFixture('vit-p8-32');
  assert.ok(f.files.hf, 'vit-p8-32: no HF weights file');
  const { vit } = await loadCheckpoint(join(FIXTURES, f.files.hf), { config: configFromHf(f.hfConfig as HfVitConfigJson, { mean: f.mean, std: f.std }) });
  const x = tf.tensor3d(Int32Array.from(f.patches), f.patchesShape, 'int32');
  try {
    for (const c of ref.cases) {
      const sels = await prepareMode('evit', vit, { rate: c.rate, blocks: c.blocks }).score(x);
      sels.forEach((s, i) => {
        const ticket = [...s.rank.slice(0, s.survivors)].sort((a, b) => a - b);
        assert.deepEqual(ticket, c.tickets[i], `rate ${c.rate} blocks ${c.blocks} image ${i}`);
      });
    }
  } finally {
    x.dispose();
    vit.dispose();
  }
});
