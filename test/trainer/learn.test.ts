import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { train } from '../../src/trainer/train.js';
import { OUTPUT_FILES } from '../../src/trainer/outputs.js';
import type { EpochRecord } from '../../src/trainer/history.js';
import { makeFashionDataset } from './fixture.js';

test('a small ViT learns Fashion-MNIST from all patches (well above the 10% of chance)', async (t: TestContext) => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-trainer-learn-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const trainDir = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 4000 });
  const testDir = await makeFashionDataset(join(root, 'test'), { split: 't10k', rows: 500 });
  const out = join(root, 'out');
  const t0 = performance.now();
  const summary = await train({
    train: trainDir,
    eval: [{ name: 'test', dir: testDir }],
    model: 'vit-micro-p4-28',
    modelOverrides: { dim: 32, depth: 1, heads: 2 },
    epochs: 3,
    batchSize: 32,
    lr: 1e-2,
    warmupEpochs: 0.5,
    labelSmoothing: 0,
    out,
    progress: false,
  });
  const seconds = (performance.now() - t0) / 1000;
  const acc = summary.eval.test.final.acc;
  console.log(`learning test: test accuracy ${(acc * 100).toFixed(1)}% after ${summary.steps} steps in ${seconds.toFixed(1)} s`);
  assert.ok(acc > 0.5, `test accuracy ${acc}`);
  assert.equal(summary.steps, 375);
  assert.equal(summary.samplesSeen, 12000);

  const lines = readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8').trim().split('\n');
  const records = lines.map((l) => JSON.parse(l) as EpochRecord);
  assert.deepEqual(records.map((r) => r.epoch), [1, 2, 3]);
  assert.deepEqual(records.map((r) => r.step), [125, 250, 375]);
  assert.ok(records[2].train.loss < records[0].train.loss);
  assert.equal(readFileSync(join(out, OUTPUT_FILES.timing), 'utf8').trim().split('\n').length, 3);
  assert.ok(readFileSync(join(out, OUTPUT_FILES.curves)).subarray(1, 4).toString() === 'PNG');
  assert.ok(existsSync(join(out, 'state', 'state.json')));
  const ckpt = await loadCheckpoint(join(out, OUTPUT_FILES.model));
  assert.equal(ckpt.vit.config.dim, 32);
  assert.deepEqual(ckpt.vit.config.mean, [0.286]); // normalisation taken from the dataset
  ckpt.vit.dispose();
});
