/** The model run as EViT for evaluation: rate 1 is the dense model; pruning changes logits; no tensor leaks; the trainer records it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { ViT } from '../../src/model/vit.js';
import { variantConfig } from '../../src/model/configs.js';
import { evitLogits } from '../../src/trainer/evit-eval.js';
import { train } from '../../src/trainer/train.js';
import { makeFashionDataset } from './fixture.js';

test('rate 1 gives the dense logits; rate 0.5 other logits; no tensor is leaked', async () => {
  await initBackend({});
  const vit = ViT.init(variantConfig('vit-micro-p4-28', { dim: 32, depth: 4, heads: 2 }), 3);
  const patches = tf.randomUniformInt([4, 49, 16], 0, 256, 1) as tf.Tensor3D;
  try {
    const before = tf.memory().numTensors;
    const dense = vit.forward(patches).logits;
    const same = evitLogits(vit, patches, { rate: 1, blocks: [1, 2, 3] });
    const pruned = evitLogits(vit, patches, { rate: 0.5, blocks: [1, 2, 3] });
    const [d, s, p] = await Promise.all([dense.data(), same.data(), pruned.data()]);
    for (let i = 0; i < d.length; i++) assert.ok(Math.abs(d[i] - s[i]) < 1e-4, `logit ${i}: ${d[i]} vs ${s[i]}`);
    assert.ok(d.some((v, i) => Math.abs(v - p[i]) > 1e-4));
    assert.deepEqual(pruned.shape, [4, 10]);
    [dense, same, pruned].forEach((t) => t.dispose());
    assert.equal(tf.memory().numTensors, before);
  } finally {
    patches.dispose();
    vit.dispose();
  }
});

test('train with evitEval records the EViT accuracy of every full-grid evaluation set, per rate', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-evit-eval-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const full = await makeFashionDataset(join(root, 'full'), { split: 'train', rows: 32 });
  const tickets = await makeFashionDataset(join(root, 'tickets'), { split: 't10k', rows: 16, k: 18 });
  const s = await train({
    train: full, eval: [{ name: 'all', dir: full }, { name: 'tickets', dir: tickets }], model: 'vit-micro-p4-28',
    modelOverrides: { dim: 16, depth: 4, heads: 2 }, batchSize: 16, steps: 2, progress: false, out: join(root, 'out'),
    evitEval: { rates: [0.9, 0.7], blocks: [1, 2, 3] },
  });
  assert.deepEqual(Object.keys(s.evit ?? {}), ['all']);
  for (const r of ['0.9', '0.7']) assert.ok((s.evit?.all[r] ?? -1) >= 0 && (s.evit?.all[r] ?? 2) <= 1);
  await assert.rejects(train({ train: full, model: 'vit-micro-p4-28', modelOverrides: { dim: 16, depth: 2, heads: 2 }, eval: [{ name: 'all', dir: full }],
    batchSize: 16, steps: 1, progress: false, out: join(root, 'bad'), evitEval: { rates: [0.7], blocks: [1, 2, 3] } }), /block 2 is outside the model's 2 blocks/);
});
