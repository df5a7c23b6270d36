import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { ensureGradients } from '../../src/trainer/gradients.js';
import { buildModel } from '../../src/trainer/model.js';
import { evalStep, trainStep, type HostBatch } from '../../src/trainer/step.js';

before(async () => {
  await initBackend({});
  ensureGradients();
});

function batch(size: number, k: number): HostBatch {
  const positions = new Uint16Array(size * k);
  for (let b = 0; b < size; b++) for (let j = 0; j < k; j++) positions[b * k + j] = 2 * k <= 49 ? j * 2 + (b % 2) : j;
  return {
    size,
    k,
    patches: new Uint8Array(size * k * 16).map((_, i) => (i * 37) % 256),
    positions,
    labels: new Int32Array(size).map((_, i) => i % 10),
  };
}

test('a training step and an evaluation step leave tf.memory().numTensors unchanged', async () => {
  const { vit, model } = buildModel(variantConfig('vit-micro-p4-28', { dim: 16, depth: 1, heads: 2 }), 0);
  const opt = new AdamW(model.params);
  const b = batch(4, 20);
  await trainStep(model, opt, b, 1e-3, { labelSmoothing: 0.1, clipNorm: 1 }); // first call may compile kernels
  const before = tf.memory().numTensors;
  const r = await trainStep(model, opt, b, 1e-3, { labelSmoothing: 0.1, clipNorm: 1 });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(r.loss) && r.gradNorm > 0 && r.correct >= 0 && r.correct <= 4);
  await evalStep(model, b);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(opt.step, 2);
  opt.dispose();
  vit.dispose();
});

test('a step changes every parameter, and identical inputs give bitwise identical updates', async () => {
  const run = async (): Promise<Float32Array[]> => {
    const { vit, model } = buildModel(variantConfig('vit-micro-p4-28', { dim: 16, depth: 1, heads: 2 }), 7);
    const opt = new AdamW(model.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 });
    const init = model.params.map((p) => p.variable.dataSync().slice() as Float32Array);
    await trainStep(model, opt, batch(6, 49), 1e-2, { labelSmoothing: 0.1, clipNorm: 1 });
    await trainStep(model, opt, batch(6, 49), 1e-2, { labelSmoothing: 0.1, clipNorm: 1 });
    const after = model.params.map((p) => p.variable.dataSync().slice() as Float32Array);
    model.params.forEach((p, i) => assert.ok(after[i].some((x, j) => x !== init[i][j]), `${p.name} did not change`));
    opt.dispose();
    vit.dispose();
    return after;
  };
  const a = await run();
  const b = await run();
  a.forEach((x, i) => assert.deepEqual(x, b[i]));
});
