/**
 * The initial weights' schemes (model/weights.ts): `timm` stays the default and unchanged; `jax`
 * follows timm's init_weights_vit_jax (xavier_uniform Linear weights, MLP biases normal(1e-6), other
 * biases zero, zero head, lecun_normal patch projection); both deterministic by seed; the trainer
 * option is validated in one line and enters the run fingerprint only when not the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { variantConfig } from '../../src/model/configs.js';
import { weightPlan, type WeightInit } from '../../src/model/weights.js';
import { fingerprintFields, resolveTrainConfig } from '../../src/trainer/config.js';
import { InputError } from '../../src/util/errors.js';

const CONFIG = variantConfig('vit-micro-p4-28'); // dim 64, depth 4, mlp 256, patch 4×4×1, 10 classes

/** The plan's tensors by request order, drawn without making any tf tensor. */
function drawn(init: WeightInit | undefined, seed = 3): { data: Float32Array; shape: number[] }[] {
  const out: { data: Float32Array; shape: number[] }[] = [];
  const plan = init === undefined ? weightPlan(CONFIG, seed) : weightPlan(CONFIG, seed, init);
  let step = plan.next();
  // The plan only needs a value back; the tensors are not used.
  while (!step.done) {
    out.push({ data: step.value.data(), shape: step.value.shape });
    step = plan.next(undefined as never);
  }
  return out;
}

const std = (x: Float32Array): number => {
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  return Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length);
};
const maxAbs = (x: Float32Array): number => x.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** sha256 of every tensor's float32 bytes, in request order. */
function digest(tensors: { data: Float32Array }[]): string {
  const h = createHash('sha256');
  for (const t of tensors) h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return h.digest('hex');
}

// The digest of weightPlan(vit-micro-p4-28, seed 3) computed with the code before the option
// existed (commit c5f1290, where weightPlan took no scheme).
const BEFORE_OPTION = '3c8be4386a924f92c93c2b477b9403ee6abd79f11c2dc1094333323aff841ec5';

test('the default scheme is timm and draws the same weights as before the option existed', () => {
  const a = drawn(undefined);
  const b = drawn('timm');
  assert.equal(a.length, b.length);
  a.forEach((t, i) => assert.ok(same(t.data, b[i].data), `tensor ${i}`));
  assert.equal(digest(a), BEFORE_OPTION);
  assert.notEqual(digest(drawn('jax')), BEFORE_OPTION);
  // timm: the qkv weight is trunc_normal(.02) (tensor order: patch w, b, then per block norm1 w, b, qkv w …),
  // cut at 2σ as rng.ts truncNormal does, so its std is .02 × 0.8796.
  const qkv = a[4];
  assert.deepEqual(qkv.shape, [64, 192]);
  assert.ok(Math.abs(std(qkv.data) - 0.02 * 0.87962566103423978) < 0.001, `qkv std ${std(qkv.data)}`);
});

test('jax: xavier_uniform Linear weights, MLP biases normal(1e-6), other biases zero, zero head, lecun_normal patch projection', () => {
  const t = drawn('jax');
  const [patchW, patchB] = t;
  assert.deepEqual(patchW.shape, [16, 64]);
  assert.ok(Math.abs(std(patchW.data) - Math.sqrt(1 / 16)) < 0.06 * Math.sqrt(1 / 16), `patch std ${std(patchW.data)} (variance 1/fan_in)`);
  assert.ok(maxAbs(patchW.data) <= (2 * Math.sqrt(1 / 16)) / 0.87962566103423978 + 1e-6, 'cut at 2σ');
  assert.equal(maxAbs(patchB.data), 0);
  // Block 0: norm1 w, b, qkv w, qkv b, proj w, proj b, norm2 w, b, fc1 w, b, fc2 w, b.
  const block = t.slice(2, 14);
  const xavier = (w: { data: Float32Array; shape: number[] }): void => {
    const bound = Math.sqrt(6 / (w.shape[0] + w.shape[1]));
    assert.ok(maxAbs(w.data) <= bound, `${w.shape}: within ±${bound}`);
    assert.ok(Math.abs(std(w.data) - bound / Math.sqrt(3)) < 0.05 * bound, `${w.shape}: std ${std(w.data)} vs ${bound / Math.sqrt(3)}`);
  };
  for (const i of [2, 4, 8, 10]) xavier(block[i]);
  for (const i of [3, 5]) assert.equal(maxAbs(block[i].data), 0, 'attention biases zero');
  for (const i of [9, 11]) {
    assert.ok(maxAbs(block[i].data) > 0 && maxAbs(block[i].data) < 1e-5, `mlp bias ${maxAbs(block[i].data)}`);
  }
  assert.deepEqual([...block[0].data.slice(0, 3)], [1, 1, 1], 'LayerNorm scale ones');
  const [headW, headB] = t.slice(-2);
  assert.deepEqual(headW.shape, [64, 10]);
  assert.equal(maxAbs(headW.data) + maxAbs(headB.data), 0, 'zero head');
  // Deterministic by seed; another seed draws other weights.
  drawn('jax').forEach((x, i) => assert.ok(same(x.data, t[i].data), `tensor ${i} repeats`));
  assert.ok(!same(drawn('jax', 4)[4].data, t[4].data));
});

test('trainer weightInit: one-line error for an unknown scheme; in the fingerprint only when not the default', () => {
  const base = { train: 'x', model: 'vit-micro-p4-28', out: 'o' };
  assert.equal(resolveTrainConfig(base).weightInit, 'timm');
  assert.ok(!('weightInit' in fingerprintFields(resolveTrainConfig(base))), 'default: the fingerprint of older runs');
  assert.ok(!('weightInit' in fingerprintFields(resolveTrainConfig({ ...base, weightInit: 'timm' }))));
  assert.equal(fingerprintFields(resolveTrainConfig({ ...base, weightInit: 'jax' })).weightInit, 'jax');
  assert.throws(
    () => resolveTrainConfig({ ...base, weightInit: 'xavier' as WeightInit }),
    (e: unknown) => e instanceof InputError && /weightInit = "xavier" is invalid \(want one of timm, jax\)/.test(e.message) && !e.message.includes('\n'),
  );
});

test('dlth train --weight-init with an unknown scheme: one line naming the flag, exit 3 (bad input)', () => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--train', 'nowhere', '--model', 'vit-micro-p4-28', '--weight-init', 'moco', '--out', 'nowhere-out'], { encoding: 'utf8' });
  assert.equal(res.status, 3, res.stderr);
  assert.equal(res.stderr.trim(), 'dlth: error: --weight-init is "moco", expected one of timm, jax');
});
