import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { learningRate, type ScheduleConfig } from '../../src/trainer/schedule.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { decays } from '../../src/trainer/decay.js';
import { clipByGlobalNorm } from '../../src/trainer/clip.js';
import { smoothedCrossEntropy, correctCount } from '../../src/trainer/loss.js';

before(async () => {
  await initBackend({});
});

const close = (a: number, b: number, tol = 1e-6): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('warmup is linear, then cosine reaches minLr at the last step', () => {
  const c: ScheduleConfig = { baseLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-5, warmupStartLr: 0 };
  assert.equal(learningRate(0, c), 0);
  close(learningRate(5, c), 5e-4);
  close(learningRate(10, c), 1e-3);
  close(learningRate(60, c), 1e-5 + 0.5 * (1e-3 - 1e-5));
  close(learningRate(110, c), 1e-5);
  close(learningRate(500, c), 1e-5);
  for (let s = 11; s <= 110; s++) assert.ok(learningRate(s, c) < learningRate(s - 1, c));
  assert.equal(learningRate(0, { ...c, warmupSteps: 0 }), 1e-3);
});

test('weight decay skips biases, norms, position embedding and tokens (as timm)', () => {
  assert.equal(decays('blocks.0.attn.qkv.weight', [96, 32]), true);
  assert.equal(decays('patch_embed.proj.weight', [32, 1, 4, 4]), true);
  assert.equal(decays('blocks.0.attn.qkv.bias', [96]), false);
  assert.equal(decays('norm.weight', [32]), false);
  assert.equal(decays('pos_embed', [1, 50, 32]), false);
  assert.equal(decays('cls_token', [1, 1, 32]), false);
});

test('two AdamW steps match a hand-computed update (decay and no-decay parameters)', () => {
  const w = tf.variable(tf.tensor2d([[1, -2], [0.5, 3]]), true, 'w.weight');
  const b = tf.variable(tf.tensor1d([0.1, -0.1]), true, 'w.bias');
  const cfg = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
  const opt = new AdamW([{ name: 'w.weight', variable: w }, { name: 'w.bias', variable: b }], cfg);
  const gw = [[0.5, -1], [2, 0]];
  const gb = [1, -3];
  const lrs = [0.01, 0.02];
  // Reference in float64 (PyTorch AdamW formula).
  const ref = (p0: number[], g: number[], decay: boolean): number[] => {
    let p = [...p0];
    const m = p.map(() => 0);
    const v = p.map(() => 0);
    lrs.forEach((lr, i) => {
      const t = i + 1;
      p = p.map((x, j) => {
        const pd = decay ? x * (1 - lr * cfg.weightDecay) : x;
        m[j] = 0.9 * m[j] + 0.1 * g[j];
        v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
        const denom = Math.sqrt(v[j]) / Math.sqrt(1 - 0.999 ** t) + cfg.eps;
        return pd - (lr / (1 - 0.9 ** t)) * (m[j] / denom);
      });
    });
    return p;
  };
  for (const lr of lrs) {
    const grads = { 'w.weight': tf.tensor2d(gw), 'w.bias': tf.tensor1d(gb) };
    opt.apply(grads, lr);
    Object.values(grads).forEach((g) => g.dispose());
  }
  const wantW = ref([1, -2, 0.5, 3], gw.flat(), true);
  const wantB = ref([0.1, -0.1], gb, false);
  Array.from(w.dataSync()).forEach((x, i) => close(x, wantW[i], 1e-6));
  Array.from(b.dataSync()).forEach((x, i) => close(x, wantB[i], 1e-6));
  assert.equal(opt.step, 2);
  assert.deepEqual(opt.decayed, ['w.weight']);
  opt.dispose();
  w.dispose();
  b.dispose();
});

test('label smoothing cross entropy matches a hand computation', () => {
  const logits = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 3]]);
  const labels = tf.tensor1d([0, 1], 'int32');
  const s = 0.1;
  const hand = [[2, 0, -1], [0.5, 0.5, 3]].map((row, i) => {
    const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
    const logp = row.map((x) => x - lse);
    const y = i === 0 ? 0 : 1;
    return (1 - s) * -logp[y] + s * -(logp.reduce((a, x) => a + x, 0) / 3);
  });
  const loss = smoothedCrossEntropy(logits, labels, s);
  close(loss.dataSync()[0], (hand[0] + hand[1]) / 2, 1e-6);
  const plain = smoothedCrossEntropy(logits, labels, 0);
  close(plain.dataSync()[0], (-(2 - Math.log(Math.exp(2) + 1 + Math.exp(-1))) - (0.5 - Math.log(2 * Math.exp(0.5) + Math.exp(3)))) / 2, 1e-6);
  const correct = correctCount(logits, labels);
  assert.equal(correct.dataSync()[0], 1);
  tf.dispose([logits, labels, loss, plain, correct]);
});

test('clipping by global norm scales all gradients together, and only when above the limit', () => {
  const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
  const clipped = clipByGlobalNorm(grads, 1);
  close(clipped.norm.dataSync()[0], 5);
  const a = Array.from(clipped.grads.a.dataSync());
  const b = Array.from(clipped.grads.b.dataSync());
  close(a[0], 3 / (5 + 1e-6));
  close(b[1], 4 / (5 + 1e-6));
  const loose = clipByGlobalNorm(grads, 10);
  assert.deepEqual(Array.from(loose.grads.b.dataSync()), [0, 4]);
  const off = clipByGlobalNorm(grads, 0);
  assert.deepEqual(Array.from(off.grads.a.dataSync()), [3, 0]);
  tf.dispose([grads.a, grads.b, clipped.norm, loose.norm, off.norm, ...Object.values(clipped.grads), ...Object.values(loose.grads), ...Object.values(off.grads)]);
});
