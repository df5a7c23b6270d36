/**
 * Every backend learns: a tiny ViT trained for a fixed number of steps on real Fashion-MNIST images,
 * through both losses (the model's cross entropy and the trainer's label-smoothing one), on each
 * backend this machine has. The first loss must be near ln(10) (a one-hot that is not exactly 1
 * shrinks it towards 0) and the last well below it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../../src/model/train.js';
import { oneHotRows } from '../../src/model/layers/one_hot.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { readIdx } from '../../src/sources/idx_format.js';
import { ensureGradients } from '../../src/trainer/gradients.js';
import { smoothedCrossEntropy } from '../../src/trainer/loss.js';
import { availableBackends, useBackend } from './helpers.js';

const DATA = 'data/fashion-mnist-mini';
const STEPS = 80;
const P = 14; // 14×14 patches: a 2×2 grid keeps every backend's steps short
const G = 28 / P;
const BATCH = 32;
const LN10 = Math.log(10);

/** Patch-major [n, G·G, P·P] grids of the first n images, and their labels. */
async function fashion(n: number): Promise<{ patches: Int32Array; labels: Int32Array }> {
  const images = await readIdx(join(DATA, 'train-images-idx3-ubyte.gz'), 3);
  const labels = await readIdx(join(DATA, 'train-labels-idx1-ubyte.gz'), 1);
  const patches = new Int32Array(n * 784);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const img = images.data.subarray(i * 784, (i + 1) * 784);
    for (let gr = 0; gr < G; gr++) for (let gc = 0; gc < G; gc++) for (let r = 0; r < P; r++) for (let c = 0; c < P; c++) patches[at++] = img[(gr * P + r) * 28 + gc * P + c];
  }
  return { patches, labels: Int32Array.from(labels.data.subarray(0, n)) };
}

type Loss = (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar;
const LOSSES: Record<string, Loss> = {
  'model crossEntropy': crossEntropy,
  'trainer smoothedCrossEntropy': (l, y) => smoothedCrossEntropy(l, y, 0),
};

async function trainLosses(loss: Loss, data: { patches: Int32Array; labels: Int32Array }): Promise<number[]> {
  const vit = ViT.init(variantConfig('vit-micro-p4-28', { patchSize: P, dim: 64, depth: 1, heads: 2 }), 1);
  const opt = tf.train.adam(1e-3);
  const out: number[] = [];
  try {
    for (let s = 0; s < STEPS; s++) {
      const i = (s * BATCH) % (data.labels.length - BATCH + 1);
      const value = tf.tidy(() => {
        const x = tf.tensor3d(data.patches.subarray(i * 784, (i + BATCH) * 784), [BATCH, G * G, P * P], 'int32');
        const y = tf.tensor1d(data.labels.subarray(i, i + BATCH), 'int32');
        return opt.minimize(() => loss(vit.forward(x).logits, y), true, vit.trainableVariables()) as tf.Scalar;
      });
      out.push((await value.data())[0]);
      value.dispose();
    }
  } finally {
    opt.dispose();
    vit.dispose();
  }
  return out;
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

test('oneHotRows is exactly 0/1 on every backend', async () => {
  for (const b of await availableBackends()) {
    await useBackend(b);
    const rows = tf.tidy(() => oneHotRows(tf.tensor1d([2, 0, 1], 'int32'), 3).dataSync());
    assert.deepEqual(Array.from(rows), [0, 0, 1, 1, 0, 0, 0, 1, 0], b);
  }
});

test('a tiny ViT learns Fashion-MNIST on every backend, through both losses', async () => {
  ensureGradients();
  const data = await fashion(2048);
  const backends = await availableBackends();
  assert.ok(backends.includes('cpu') && backends.includes('wasm'), `backends: ${backends}`);
  for (const b of backends) {
    await useBackend(b);
    for (const [name, loss] of Object.entries(LOSSES)) {
      const before = tf.memory().numTensors;
      const losses = await trainLosses(loss, data);
      const first = losses[0];
      const last = mean(losses.slice(-10));
      console.log(`${b} ${name}: loss ${first.toFixed(3)} → ${last.toFixed(3)} (mean of the last 10) in ${STEPS} steps`);
      assert.ok(Math.abs(first - LN10) < 0.3, `${b} ${name}: first loss ${first}, want ≈ ln 10 = ${LN10.toFixed(3)}`);
      assert.ok(last < 0.65 * LN10, `${b} ${name}: loss ${last} after ${STEPS} steps, want < ${(0.65 * LN10).toFixed(3)}`);
      assert.equal(tf.memory().numTensors, before, `${b}: tensors leaked`);
    }
  }
});
