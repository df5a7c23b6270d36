/**
 * Model properties on every available backend: kept-token forward equals a hand-written reference
 * on only the kept tokens; the block hooks compose to the forward; no tensor leaks after a forward,
 * an attention-returning forward and a training step; training works (wasm included).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig, type ViTConfig } from '../../src/model/configs.js';
import { toModelInput } from '../../src/model/input.js';
import { layerNorm } from '../../src/model/layers/norm.js';
import { toTimmStateDict } from '../../src/model/timm_state.js';
import { crossEntropy, minimizeStep } from '../../src/model/train.js';
import { ViT } from '../../src/model/vit.js';
import { availableBackends, compare, useBackend } from './helpers.js';
import { referenceForward } from './reference.js';

const backends = await availableBackends();
const tiny: ViTConfig = resolveConfig({ imageSize: [8, 8], patchSize: 2, channels: 1, dim: 8, depth: 2, heads: 2, mlpRatio: 2, numClasses: 3, distilled: true, mean: [0.4], std: [0.3] });

function randomPatches(b: number, n: number, pd: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: b * n * pd }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255);
}

/** A model with larger-than-init weights so attention is not uniform. */
function tinyModel(seed: number): ViT {
  const vit = ViT.init(tiny, seed);
  for (const v of vit.trainableVariables()) tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.3, 'float32', seed++))));
  return vit;
}

for (const backend of backends) {
  describe(`ViT on ${backend}`, () => {
    it('kept-positions forward equals the hand reference on only the kept tokens', async () => {
      await useBackend(backend);
      const vit = tinyModel(1);
      const g = vit.grid;
      const positions = Int32Array.from([0, 3, 5, 6, 9, 15, 1, 2, 7, 8, 12, 14]); // 2 samples × 6, not sorted for sample 2
      const full = randomPatches(2, g.numPatches, g.patchDim, 7);
      const kept = new Uint8Array(2 * 6 * g.patchDim);
      for (let b = 0; b < 2; b++) for (let j = 0; j < 6; j++) kept.set(full.subarray((b * g.numPatches + positions[b * 6 + j]) * g.patchDim, (b * g.numPatches + positions[b * 6 + j] + 1) * g.patchDim), (b * 6 + j) * g.patchDim);
      const input = toModelInput(kept, positions, { batch: 2, k: 6, patchDim: g.patchDim, numPatches: g.numPatches });
      const fullInput = toModelInput(full, null, { batch: 2, k: g.numPatches, patchDim: g.patchDim, numPatches: g.numPatches });
      const r = vit.forward(input.patches, input.positions, { returnAttention: true });
      const rFull = vit.forward(fullInput.patches, input.positions, { returnAttention: false }); // full grid + positions: gathered
      const logits = await r.logits.data();
      const attn = await Promise.all((r.clsAttention ?? []).map((a) => a.data()));
      const cf = compare(await rFull.logits.data(), logits);
      assert.ok(cf.ok, `full grid + positions = kept patches + positions: ${JSON.stringify(cf)} ${Array.from(logits)} ${Array.from(await rFull.logits.data())}`);
      const sd = toTimmStateDict(tiny, vit.params);
      for (let b = 0; b < 2; b++) {
        const ps = Array.from({ length: 6 }, (_, j) => Array.from(kept.subarray((b * 6 + j) * g.patchDim, (b * 6 + j + 1) * g.patchDim)));
        const ref = referenceForward(tiny, sd, ps, Array.from(positions.subarray(b * 6, b * 6 + 6)));
        const c = compare(logits.subarray(b * 3, b * 3 + 3), ref.logits);
        assert.ok(c.ok, `logits sample ${b}: ${c.maxRel}`);
        ref.clsAttention.forEach((a, l) => assert.ok(compare(attn[l].subarray(b * 6, b * 6 + 6), a).ok, `attention layer ${l} sample ${b}`));
      }
      tf.dispose([r.logits, rFull.logits, ...(r.clsAttention ?? []), input.patches, input.positions, fullInput.patches]);
      vit.dispose();
    });

    it('block hooks (forwardAttention / forwardMlp) compose to forward, and allow pruning between them', async () => {
      await useBackend(backend);
      const vit = tinyModel(2);
      const input = toModelInput(randomPatches(2, 16, vit.grid.patchDim, 3), null, { batch: 2, k: 16, patchDim: vit.grid.patchDim, numPatches: 16 });
      const before = tf.memory().numTensors;
      const viaHooks = tf.tidy(() => {
        let x = vit.embed(input.patches);
        for (const block of vit.blocks) {
          const a = block.forwardAttention(x, { returnClsAttention: true });
          assert.deepEqual(a.clsAttention?.shape, [2, 16]);
          x = block.forwardMlp(a.x);
        }
        return vit.forwardHead(layerNorm(x, vit.params.norm, tiny.layerNormEps) as tf.Tensor3D);
      });
      const pruned = tf.tidy(() => {
        const a = vit.blocks[0].forwardAttention(vit.embed(input.patches));
        return vit.blocks[0].forwardMlp(tf.slice(a.x, [0, 0, 0], [2, 7, 8]));
      });
      assert.deepEqual(pruned.shape, [2, 7, 8]);
      const direct = vit.forward(input.patches);
      assert.deepEqual(Array.from(await viaHooks.data()), Array.from(await direct.logits.data()));
      tf.dispose([viaHooks, pruned, direct.logits]);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([input.patches]);
      vit.dispose();
    });

    it('no leaked tensors after a forward, an attention-returning forward and a training step', async () => {
      await useBackend(backend);
      const vit = tinyModel(3);
      const input = toModelInput(randomPatches(4, 5, vit.grid.patchDim, 5), Int32Array.from({ length: 20 }, (_, i) => (i * 7) % 16), { batch: 4, k: 5, patchDim: vit.grid.patchDim, numPatches: 16 });
      const labels = tf.tensor1d([0, 1, 2, 1], 'int32');
      const opt = tf.train.sgd(0.05);
      await minimizeStep(vit, opt, input.patches, input.positions, labels); // warm-up (optimizer state, if any)
      const before = tf.memory().numTensors;
      vit.forward(input.patches, input.positions).logits.dispose();
      assert.equal(tf.memory().numTensors, before, 'forward');
      const r = vit.forward(input.patches, input.positions, { returnAttention: true });
      assert.equal(r.clsAttention?.length, tiny.depth);
      tf.dispose([r.logits, ...(r.clsAttention ?? [])]);
      assert.equal(tf.memory().numTensors, before, 'forward with attention');
      await minimizeStep(vit, opt, input.patches, input.positions, labels);
      assert.equal(tf.memory().numTensors, before, 'training step');
      tf.dispose([input.patches, input.positions, labels]);
      opt.dispose();
      vit.dispose();
    });

    it('trains: the loss falls on a fixed batch (every gradient kernel exists on this backend)', async () => {
      await useBackend(backend);
      const vit = ViT.init(tiny, 4);
      const input = toModelInput(randomPatches(8, 6, vit.grid.patchDim, 9), Int32Array.from({ length: 48 }, (_, i) => (i * 5) % 16), { batch: 8, k: 6, patchDim: vit.grid.patchDim, numPatches: 16 });
      const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
      const opt = tf.train.adam(0.01);
      const first = (await minimizeStep(vit, opt, input.patches, input.positions, labels)).loss;
      let last = first;
      for (let i = 0; i < 30; i++) last = (await minimizeStep(vit, opt, input.patches, input.positions, labels)).loss;
      assert.ok(last < first * 0.7, `loss ${first} → ${last}`);
      const check = tf.tidy(() => crossEntropy(vit.forward(input.patches, input.positions).logits, labels).dataSync()[0]);
      assert.ok(Number.isFinite(check));
      tf.dispose([input.patches, input.positions, labels]);
      opt.dispose();
      vit.dispose();
    });
  });
}
