import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { defaultEvitBlocks, prepareMode } from '../../src/scoring/modes/index.js';
import type { PatchRanking } from '../../src/scoring/select.js';
import { evitKeepCounts } from '../../src/model/evit-counts.js';

let model: ViT;

/** B images of N = 49 random 4×4 grey patches (deterministic). */
function patches(b: number, seed: number): tf.Tensor3D {
  const data = new Int32Array(b * 49 * 16);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return tf.tensor3d(data, [b, 49, 16], 'int32');
}

before(async () => {
  await initBackend({ backend: 'cpu' });
  model = ViT.init(variantConfig('vit-micro-p4-28'), 1);
});

function isPermutation(a: Uint16Array, n: number): boolean {
  return a.length === n && new Set(a).size === n;
}

test('default EViT blocks: quarter points of the depth', () => {
  assert.deepEqual(defaultEvitBlocks(12), [3, 6, 9]);
  assert.deepEqual(defaultEvitBlocks(4), [1, 2, 3]);
  assert.deepEqual(defaultEvitBlocks(6), [1, 3, 4]);
  assert.deepEqual(defaultEvitBlocks(2), [0, 1]);
  assert.deepEqual(defaultEvitBlocks(1), [0]);
});

test('evit: ticket sizes, rank permutation, no leaked tensors', async () => {
  const mode = prepareMode('evit', model, { rate: 0.7 });
  assert.deepEqual(mode.params, { rate: 0.7, blocks: [1, 2, 3] });
  const x = patches(3, 1);
  const before = tf.memory().numTensors;
  const sels = await mode.score(x);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  assert.equal(sels.length, 3);
  for (const s of sels) {
    assert.equal(s.survivors, evitKeepCounts(49, 0.7, 3)[2]);
    assert.equal(s.survivors, 18);
    assert.ok(isPermutation(s.rank, 49));
    assert.ok(s.scores.every((v) => v >= 0 && v <= 1));
  }
});

test('evit: the first stage scores the unpruned model; rate 1 equals every-layer CLS attention', async () => {
  const x = patches(2, 2);
  const ref = model.forward(x, undefined, { returnAttention: true });
  const attn = await Promise.all((ref.clsAttention ?? []).map((t) => t.data()));
  ref.logits.dispose();
  ref.clsAttention?.forEach((t) => t.dispose());
  // rate 1 at the last block only: every patch survives; scores = that layer's CLS attention
  const full = await prepareMode('evit', model, { rate: 1, blocks: [3] }).score(x);
  const one = await prepareMode('cls-attn', model, {}).score(x);
  for (let b = 0; b < 2; b++) {
    const want = attn[3].subarray(b * 49, (b + 1) * 49);
    assert.deepEqual(full[b].scores, Float32Array.from(want));
    assert.deepEqual(one[b].scores, Float32Array.from(want));
    assert.deepEqual(full[b].rank, one[b].rank);
  }
  // a single pruning block at 1: its dropped patches carry layer 1's unpruned attention
  const s1 = await prepareMode('evit', model, { rate: 0.5, blocks: [1] }).score(x);
  for (let b = 0; b < 2; b++) {
    for (const p of s1[b].rank) assert.equal(s1[b].scores[p], Math.fround(attn[1][b * 49 + p]));
    assert.equal(s1[b].survivors, 25);
  }
  x.dispose();
});

test('modes are deterministic and identical across batch sizes', async () => {
  const all = patches(5, 3);
  for (const [name, opts] of [['evit', { rate: 0.7 }], ['cls-attn', { layer: 2 }], ['rollout', {}]] as const) {
    const mode = prepareMode(name, model, opts);
    const whole = await mode.score(all);
    const again = await mode.score(all);
    assert.deepEqual(again, whole, `${name} deterministic`);
    const parts: PatchRanking[] = [];
    for (const [start, size] of [[0, 1], [1, 2], [3, 2]]) {
      const part = tf.slice(all, [start, 0, 0], [size, 49, 16]);
      parts.push(...(await mode.score(part)));
      part.dispose();
    }
    for (let b = 0; b < 5; b++) {
      assert.deepEqual(parts[b].rank, whole[b].rank, `${name} rank, image ${b}`);
      assert.deepEqual(parts[b].scores, whole[b].scores, `${name} scores, image ${b}`);
    }
  }
  all.dispose();
});

test('cls-attn and rollout leak nothing; bad options are rejected', async () => {
  const x = patches(2, 4);
  const before = tf.memory().numTensors;
  for (const name of ['cls-attn', 'rollout']) {
    const sels = await prepareMode(name, model, {}).score(x);
    assert.ok(sels.every((s) => isPermutation(s.rank, 49) && s.survivors === 49));
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  assert.throws(() => prepareMode('evit', model, { layer: 1 }), /does not take layer/);
  assert.throws(() => prepareMode('evit', model, { blocks: [2, 1] }), /ascending/);
  assert.throws(() => prepareMode('evit', model, { blocks: [4] }), /outside/);
  assert.throws(() => prepareMode('cls-attn', model, { layer: 4 }), /outside/);
  assert.throws(() => prepareMode('nope', model), /unknown scoring mode/);
});
