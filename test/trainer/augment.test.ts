/**
 * The trainer with token augmentations (issue 27): `dlth train --color-jitter … --reprob …
 * --mixup … --cutmix …` trains on real Fashion-MNIST tickets with the loader's soft targets and
 * records the options; the soft-target loss equals the smoothed cross entropy (value and gradient)
 * when the targets are the smoothed one-hot labels; bad flag values are one-line errors.
 */
import { before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { initBackend } from '../../src/backend/init.js';
import { optionsFromFlags, registerTrain } from '../../src/cli/train.js';
import { ensureGradients } from '../../src/trainer/gradients.js';
import { resolveTrainConfig } from '../../src/trainer/config.js';
import { smoothedCrossEntropy, softTargetCrossEntropy } from '../../src/trainer/loss.js';
import { InputError } from '../../src/util/errors.js';
import { makeFashionDataset } from './fixture.js';

before(async () => {
  await initBackend({});
  ensureGradients();
});

test('soft-target cross entropy of smoothed one-hot targets is the smoothed cross entropy, value and gradient', () => {
  const logits = tf.tensor2d([[0.5, -1, 2, 0.1], [3, 0.2, -0.7, 1.5], [-2, 0, 0.3, 0.9]]);
  const labels = tf.tensor1d([2, 0, 3], 'int32');
  const s = 0.1;
  const targets = tf.tensor2d([0, 1, 2].map((i) => [0, 1, 2, 3].map((c) => (c === [2, 0, 3][i] ? 1 - s : 0) + s / 4)));
  const a = tf.valueAndGrad((z: tf.Tensor) => softTargetCrossEntropy(z as tf.Tensor2D, targets))(logits);
  const b = tf.valueAndGrad((z: tf.Tensor) => smoothedCrossEntropy(z as tf.Tensor2D, labels, s))(logits);
  assert.ok(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-6);
  const [ga, gb] = [a.grad.dataSync(), b.grad.dataSync()];
  ga.forEach((v, i) => assert.ok(Math.abs(v - gb[i]) < 1e-6, `gradient ${i}`));
  tf.dispose([logits, labels, targets, a.value, a.grad, b.value, b.grad]);
});

test('dlth train with every token augmentation on: trains, records the options, mixes', async (t: TestContext) => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-trainer-augment-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 48, k: 25 });
  const out = join(root, 'out');
  const program = new Command().exitOverride();
  registerTrain(program);
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program.parseAsync(['train', '--train', data, '--model', 'vit-micro-p4-28', '--set', 'dim=16', '--set', 'depth=1', '--set', 'heads=2',
      '--steps', '3', '--batch-size', '16', '--color-jitter', '0.4', '--reprob', '0.5', '--remode', 'rand', '--recount', '2',
      '--mixup', '0.8', '--cutmix', '1', '--mixup-prob', '0.9', '--mixup-switch-prob', '0.4', '-q', '-o', out], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { steps: number; config: { augment: unknown } };
  assert.equal(summary.steps, 3);
  assert.deepEqual(summary.config.augment, { colorJitter: 0.4, reprob: 0.5, remode: 'rand', recount: 2, mixupAlpha: 0.8, cutmixAlpha: 1, mixProb: 0.9, switchProb: 0.4 });
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { train: { loss: number } });
  assert.ok(metrics.every((m) => Number.isFinite(m.train.loss)));
});

test('bad augmentation flags and options: one line naming the value', () => {
  const flags = { train: ['x'], eval: [], model: 'vit-micro-p4-28', set: [], out: 'o', resume: true };
  assert.throws(() => optionsFromFlags({ ...flags, colorJitter: '-0.4' }), /--color-jitter is "-0.4", expected a number ≥ 0/);
  assert.throws(() => optionsFromFlags({ ...flags, colorJitter: '0.4,0.4' }), /--color-jitter is "0.4,0.4", expected one number or three/);
  assert.throws(() => optionsFromFlags({ ...flags, remode: 'zero' }), /--remode is "zero", expected one of const, rand, pixel/);
  assert.throws(() => optionsFromFlags({ ...flags, mixup: '-1' }), /--mixup is "-1", expected a number in \[0, 1000\]/);
  assert.throws(() => optionsFromFlags({ ...flags, mixupProb: '1.2' }), /--mixup-prob is "1.2", expected a number in \[0, 1\]/);
  assert.throws(() => optionsFromFlags({ ...flags, recount: '1.5' }), /--recount is "1.5", expected an integer in \[1, 1000\]/);
  const config = (augment: Record<string, unknown>): unknown => resolveTrainConfig({ train: 'x', model: 'm', out: 'o', augment });
  for (const [augment, re] of [[{ mixupAlpha: -1 }, /mixupAlpha = -1/], [{ mixProb: 1.5 }, /mixProb = 1\.5/], [{ reprob: -0.1 }, /reprob = -0\.1/], [{ switchProb: 2 }, /switchProb = 2/]] as const) {
    assert.throws(() => config(augment), (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'));
  }
  assert.equal(resolveTrainConfig({ train: 'x', model: 'm', out: 'o', augment: { mixupAlpha: 0, reprob: 0 } }).augment, null);
});
