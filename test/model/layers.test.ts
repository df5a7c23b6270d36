/** Custom gradients (matmul, GELU) agree with autodiff of the plain ops. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { gelu, geluFolded } from '../../src/model/layers/gelu.js';
import { attention } from '../../src/model/layers/attention.js';
import { mlp } from '../../src/model/layers/mlp.js';
import { layerNorm } from '../../src/model/layers/norm.js';
import { gatherTokens } from '../../src/model/layers/keep_tokens.js';
import { matMul } from '../../src/model/layers/matmul.js';
import { availableBackends, compare, useBackend } from './helpers.js';

for (const backend of await availableBackends()) {
  describe(`layers on ${backend}`, () => {
    it('matMul and gelu gradients match autodiff; gatherTokens matches gather', async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const a = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 1);
        const b = tf.randomNormal([3, 4, 6], 0, 1, 'float32', 2);
        const w = tf.randomNormal([3, 5, 6], 0, 1, 'float32', 3);
        const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(gelu(matMul(x, y)), w)))([a, b]);
        const ref = tf.grads((x: tf.Tensor, y: tf.Tensor) => {
          const z = tf.matMul(x, y);
          return tf.sum(tf.mul(tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1)), w));
        })([a, b]);
        ours.forEach((g, i) => assert.ok(compare(g.dataSync(), ref[i].dataSync(), 1e-4).ok, `grad ${i}`));
        const x = tf.randomNormal([2, 7, 3], 0, 1, 'float32', 4);
        const idx = tf.tensor2d([[6, 0, 2], [1, 1, 5]], [2, 3], 'int32');
        const expected = [0, 1].flatMap((s) => [6, 0, 2, 1, 1, 5].slice(s * 3, s * 3 + 3).flatMap((r) => Array.from(x.dataSync().subarray((s * 7 + r) * 3, (s * 7 + r + 1) * 3))));
        assert.deepEqual(Array.from(gatherTokens(x, idx).dataSync()), expected);
      });
      assert.equal(tf.memory().numTensors, before);
    });

    it('mlp (GELU constants folded into fc1/fc2), attention (q/k/v cut from qkv) and layerNorm (analytic gradient) equal the textbook formulas, values and gradients', async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const [b, n, d, hidden, heads] = [2, 5, 8, 12, 2];
        const hd = d / heads;
        const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
        const x = r([b, n, d], 10);
        const v = (t: tf.Tensor) => tf.variable(t);
        const mp = { fc1: { weight: v(r([d, hidden], 11)), bias: v(r([hidden], 12)) }, fc2: { weight: v(r([hidden, d], 13)), bias: v(r([d], 14)) } };
        const refGelu = (z: tf.Tensor) => tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1));
        const refMlp = (t: tf.Tensor) =>
          tf.add(tf.matMul(refGelu(tf.add(tf.matMul(tf.reshape(t, [-1, d]), mp.fc1.weight), mp.fc1.bias)), mp.fc2.weight), mp.fc2.bias);
        const w = r([b * n, d], 15);
        const lossOurs = (t: tf.Tensor) => tf.sum(tf.mul(tf.reshape(mlp(t, mp), [b * n, d]), w));
        const lossRef = (t: tf.Tensor) => tf.sum(tf.mul(refMlp(t), w));
        assert.ok(compare(tf.reshape(mlp(x, mp), [-1]).dataSync(), tf.reshape(refMlp(x), [-1]).dataSync(), 1e-5).ok, 'mlp value');
        assert.ok(compare(tf.grad(lossOurs)(x).dataSync(), tf.grad(lossRef)(x).dataSync(), 1e-4).ok, 'mlp input gradient');
        const gOurs = tf.variableGrads(() => lossOurs(x) as tf.Scalar, [mp.fc1.weight, mp.fc2.weight]).grads;
        const gRef = tf.variableGrads(() => lossRef(x) as tf.Scalar, [mp.fc1.weight, mp.fc2.weight]).grads;
        for (const k of Object.keys(gRef)) assert.ok(compare(gOurs[k].dataSync(), gRef[k].dataSync(), 1e-4).ok, `mlp grad ${k}`);
        // geluFolded is √2·GELU(√2·u)
        const u = r([50], 16);
        assert.ok(compare(geluFolded(u).dataSync(), tf.mul(refGelu(tf.mul(u, Math.SQRT2)), Math.SQRT2).dataSync(), 1e-5).ok, 'geluFolded');

        const ap = { qkv: { weight: v(r([d, 3 * d], 17)), bias: v(r([3 * d], 18)) }, proj: { weight: v(r([d, d], 19)), bias: v(r([d], 20)) } };
        const qkv = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, d]), ap.qkv.weight), ap.qkv.bias), [b, n, 3, heads, hd]);
        const part = (i: number) => tf.transpose(tf.squeeze(tf.slice(qkv, [0, 0, i, 0, 0], [b, n, 1, heads, hd]), [2]), [0, 2, 1, 3]); // [b, h, n, hd]
        const probs = tf.softmax(tf.div(tf.matMul(part(0), part(1), false, true), Math.sqrt(hd)));
        const ctx = tf.reshape(tf.transpose(tf.matMul(probs, part(2)), [0, 2, 1, 3]), [b * n, d]);
        const refOut = tf.add(tf.matMul(ctx, ap.proj.weight), ap.proj.bias);
        const got = attention(x as tf.Tensor3D, ap, { heads, prefix: 1, returnClsAttention: true });
        assert.ok(compare(tf.reshape(got.out, [-1]).dataSync(), tf.reshape(refOut, [-1]).dataSync(), 1e-5).ok, 'attention value');
        const refCls = tf.mean(tf.slice(probs, [0, 0, 0, 1], [b, heads, 1, n - 1]), 1);
        assert.ok(got.clsAttention && compare(got.clsAttention.dataSync(), refCls.dataSync(), 1e-5).ok, 'CLS attention');
        // LayerNorm: one op with an analytic gradient; value and gradients (x, γ, β) as autodiff of the formula
        const np = { weight: v(r([d], 21)), bias: v(r([d], 22)) };
        const xs = tf.add(tf.mul(r([b, n, d], 23), 3), 1.5); // off-centre, wide: exercises the mean and variance terms
        const refLn = (t: tf.Tensor) => {
          const mu = tf.mean(t, -1, true);
          const varc = tf.mean(tf.square(tf.sub(t, mu)), -1, true);
          return tf.add(tf.mul(tf.div(tf.sub(t, mu), tf.sqrt(tf.add(varc, 1e-6))), np.weight), np.bias);
        };
        const wl = r([b, n, d], 24);
        assert.ok(compare(layerNorm(xs, np, 1e-6).dataSync(), refLn(xs).dataSync(), 1e-5).ok, 'layerNorm value');
        const lnOurs = () => tf.sum(tf.mul(layerNorm(xs, np, 1e-6), wl)) as tf.Scalar;
        const lnRef = () => tf.sum(tf.mul(refLn(xs), wl)) as tf.Scalar;
        assert.ok(compare(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layerNorm(t, np, 1e-6), wl)))(xs).dataSync(),
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(refLn(t), wl)))(xs).dataSync(), 1e-4).ok, 'layerNorm input gradient');
        const lo = tf.variableGrads(lnOurs, [np.weight, np.bias]).grads;
        const lr = tf.variableGrads(lnRef, [np.weight, np.bias]).grads;
        for (const k of Object.keys(lr)) assert.ok(compare(lo[k].dataSync(), lr[k].dataSync(), 1e-4).ok, `layerNorm grad ${k}`);
        tf.dispose([np.weight, np.bias]);
        tf.dispose([...Object.values(mp).flatMap((l) => [l.weight, l.bias]), ...Object.values(ap).flatMap((l) => [l.weight, l.bias])]);
      });
      assert.equal(tf.memory().numTensors, before);
    });
  });
}
