/**
 * Nothing learned differently: every op with a hand-written gradient (layers/linear and normLinear, attention,
 * norm, gelu, residual, matmul; the trainer's loss) and a whole block built from them give the
 * values and gradients of tfjs's autodiff through the textbook formula, to 1e-5 relative
 * (max |ours − autodiff| / max |autodiff|, per output and per gradient), on random inputs, on every
 * backend here. The native backend runs twice: with dlth's own kernels (src/native/dlth_ops.cc, when
 * built) and with TensorFlow's ops (FusedBatchNorm and the rest, layers/native.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Block } from '../../src/model/block.js';
import { attentionCore } from '../../src/model/layers/attention.js';
import { geluFolded } from '../../src/model/layers/gelu.js';
import { linear, normLinear } from '../../src/model/layers/linear.js';
import { matMul } from '../../src/model/layers/matmul.js';
import { layerNorm, normalize } from '../../src/model/layers/norm.js';
import { dlthKernels, setDlthKernels } from '../../src/model/layers/native.js';
import { residual } from '../../src/model/layers/residual.js';
import { ensureGradients } from '../../src/trainer/gradients.js';
import { smoothedCrossEntropy, smoothedCrossEntropyPerSample } from '../../src/trainer/loss.js';
import { availableBackends, relErr, useBackend } from './helpers.js';

const TOL = 1e-5;
const r = (shape: number[], seed: number, scale = 1): tf.Tensor => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/** Values and the gradients of Σ f(xs)⊙w with respect to every input agree between `ours` and `ref`. */
function agree(name: string, ours: Fn, ref: Fn, inputs: tf.Tensor[], seed: number): void {
  tf.tidy(() => {
    const w = r(ref(...inputs).shape, seed);
    const loss = (f: Fn) => (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w));
    const value = relErr(ours(...inputs), ref(...inputs));
    assert.ok(value <= TOL, `${name}: value differs by ${value.toExponential(2)}`);
    const g = tf.grads(loss(ours))(inputs);
    const gRef = tf.grads(loss(ref))(inputs);
    const errs = g.map((gi, i) => relErr(gi, gRef[i]));
    console.log(`${tf.getBackend()}${dlthKernels() ? '+dlth' : ''} ${name}: value ${value.toExponential(1)}, gradients ${errs.map((e) => e.toExponential(1)).join(' ')}`);
    errs.forEach((e, i) => assert.ok(e <= TOL, `${name}: gradient of input ${i} differs by ${e.toExponential(2)}`));
  });
}

const refStandardize = (x: tf.Tensor, eps: number): tf.Tensor => {
  const mu = tf.mean(x, -1, true);
  const centred = tf.sub(x, mu);
  return tf.div(centred, tf.sqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)));
};
const refGelu = (z: tf.Tensor): tf.Tensor => tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1));

/** timm's attention on x [B·N, 3D] qkv rows: q, k, v per head, softmax(q·kᵀ)·v, heads merged. */
function refAttention(qkv: tf.Tensor, b: number, n: number, heads: number): tf.Tensor {
  const d = qkv.shape[1] as number / 3;
  const hd = d / heads;
  const parts = tf.reshape(qkv, [b, n, 3, heads, hd]);
  const part = (i: number) => tf.transpose(tf.squeeze(tf.slice(parts, [0, 0, i, 0, 0], [b, n, 1, heads, hd]), [2]), [0, 2, 1, 3]);
  const probs = tf.softmax(tf.matMul(part(0), part(1), false, true));
  return tf.reshape(tf.transpose(tf.matMul(probs, part(2)), [0, 2, 1, 3]), [b * n, d]);
}

/** Each backend, and the native one also without dlth's kernels when they are there. */
const variants: { backend: string; dlth: boolean }[] = [];
for (const backend of await availableBackends()) {
  await useBackend(backend);
  variants.push({ backend, dlth: false });
  if (dlthKernels()) variants.push({ backend, dlth: true });
}

for (const { backend, dlth } of variants) {
  const useBackendAndKernels = async (name: string): Promise<void> => {
    await useBackend(name);
    setDlthKernels(dlth);
  };
  describe(`custom gradients on ${backend}${dlth ? " with dlth's kernels" : ''}`, () => {
    it('linear (with folded column scales), matMul, geluFolded and residual equal autodiff of their formulas', async () => {
      await useBackendAndKernels(backend);
      ensureGradients();
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const [t, i, o] = [37, 24, 40];
        const scale = Float32Array.from({ length: o }, (_, j) => (j < 8 ? 0.25 : 1));
        const ls = tf.tensor1d(scale);
        agree('linear', (x, w, b) => linear(x as tf.Tensor2D, { weight: w, bias: b }),
          (x, w, b) => tf.add(tf.matMul(x, w), b), [r([t, i], 1), r([i, o], 2, 0.2), r([o], 3)], 4);
        agree('linear with scales', (x, w, b) => linear(x as tf.Tensor2D, { weight: w, bias: b }, { weight: scale, bias: scale }),
          (x, w, b) => tf.add(tf.matMul(x, tf.mul(w, ls)), tf.mul(b, ls)), [r([t, i], 5), r([i, o], 6, 0.2), r([o], 7)], 8);
        agree('linear without bias', (x, w) => linear(x as tf.Tensor2D, { weight: w, bias: null }, { weight: 0.5 }),
          (x, w) => tf.matMul(x, tf.mul(w, 0.5)), [r([t, i], 9), r([i, o], 10)], 11);
        agree('normLinear (a norm\'s γ, β folded in)', (x, w, g, bt, b) => normLinear(x as tf.Tensor2D, { weight: g as tf.Variable, bias: bt as tf.Variable }, { weight: w, bias: b }, { weight: scale, bias: scale }),
          (x, w, g, bt, b) => tf.add(tf.matMul(tf.add(tf.mul(x, g), bt), tf.mul(w, ls)), tf.mul(b, ls)), [r([t, i], 20), r([i, o], 21, 0.2), tf.add(r([i], 22, 0.2), 1), r([i], 23), r([o], 24)], 25);
        agree('matMul (batched)', (a, b) => matMul(a, b), (a, b) => tf.matMul(a, b), [r([3, 5, 4], 12), r([3, 4, 6], 13)], 14);
        agree('geluFolded', (u) => geluFolded(u), (u) => tf.mul(refGelu(tf.mul(u, Math.SQRT2)), Math.SQRT2), [r([t, o], 15, 2)], 16);
        agree('residual', (x, y) => residual(x, y), (x, y) => tf.add(x, y), [r([t, i], 17), r([t, i], 18)], 19);
      });
      assert.equal(tf.memory().numTensors, before);
    });

    it('attentionCore equals softmax(q·kᵀ)·v per head by autodiff', async () => {
      await useBackendAndKernels(backend);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        for (const [b, n, heads, d] of [[3, 7, 2, 16], [2, 26, 4, 32]]) {
          agree(`attention b=${b} n=${n} heads=${heads}`, (qkv) => attentionCore(qkv as tf.Tensor2D, { b, n, heads }),
            (qkv) => refAttention(qkv, b, n, heads), [r([b * n, 3 * d], 20 + n, 0.7)], 30 + n);
        }
      });
      assert.equal(tf.memory().numTensors, before);
    });

    it('normalize and layerNorm equal the LayerNorm formula by autodiff (rows and 3-D)', async () => {
      await useBackendAndKernels(backend);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const eps = 1e-6;
        const wide = (shape: number[], seed: number) => tf.add(r(shape, seed, 3), 1.5); // off-centre: exercises mean and variance
        agree('normalize', (x) => normalize(x, eps), (x) => refStandardize(x, eps), [wide([40, 24], 40)], 41);
        agree('normalize 3-D', (x) => normalize(x, eps), (x) => refStandardize(x, eps), [wide([3, 9, 16], 42)], 43);
        agree('layerNorm', (x, g, b) => layerNorm(x, { weight: g as tf.Variable, bias: b as tf.Variable }, eps),
          (x, g, b) => tf.add(tf.mul(refStandardize(x, eps), g), b), [wide([3, 9, 16], 44), r([16], 45), r([16], 46)], 47);
      });
      assert.equal(tf.memory().numTensors, before);
    });

    it('the smoothed cross entropy equals the mean of its per-sample formula by autodiff', async () => {
      await useBackendAndKernels(backend);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const labels = tf.tensor1d([3, 0, 9, 9, 1, 4], 'int32');
        for (const s of [0, 0.1]) {
          agree(`cross entropy s=${s}`, (z) => smoothedCrossEntropy(z as tf.Tensor2D, labels, s),
            (z) => tf.mean(smoothedCrossEntropyPerSample(z as tf.Tensor2D, labels, s)), [r([6, 10], 50, 3)], 51);
        }
      });
      assert.equal(tf.memory().numTensors, before);
    });

    it('a block (norms folded into qkv and fc1) equals the textbook pre-norm block, values and every gradient', async () => {
      await useBackendAndKernels(backend);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const [b, n, d, heads, hidden, eps] = [2, 9, 16, 2, 32, 1e-6];
        const dense = (i: number, o: number, seed: number) => [r([i, o], seed, 0.3), r([o], seed + 1, 0.1)];
        const norm = (seed: number) => [tf.add(r([d], seed, 0.2), 1), r([d], seed + 1, 0.1)];
        const params = [...norm(60), ...dense(d, 3 * d, 62), ...dense(d, d, 64), ...norm(66), ...dense(d, hidden, 68), ...dense(hidden, d, 70)];
        const ours = (x: tf.Tensor, ...p: tf.Tensor[]) => {
          const v = p as tf.Variable[];
          const block = new Block({
            norm1: { weight: v[0], bias: v[1] }, attn: { qkv: { weight: v[2], bias: v[3] }, proj: { weight: v[4], bias: v[5] } },
            norm2: { weight: v[6], bias: v[7] }, mlp: { fc1: { weight: v[8], bias: v[9] }, fc2: { weight: v[10], bias: v[11] } },
          }, { heads, prefix: 1, layerNormEps: eps });
          return block.forward(x as tf.Tensor3D).x;
        };
        const ref = (x: tf.Tensor, ...p: tf.Tensor[]) => {
          const rows = tf.reshape(x, [b * n, d]);
          const ln = (t: tf.Tensor, g: tf.Tensor, s: tf.Tensor) => tf.add(tf.mul(refStandardize(t, eps), g), s);
          const fc = (t: tf.Tensor, w: tf.Tensor, s: tf.Tensor) => tf.add(tf.matMul(t, w), s);
          const hd = d / heads;
          const qkv = fc(ln(rows, p[0], p[1]), tf.mul(p[2], tf.concat([tf.fill([d], 1 / Math.sqrt(hd)), tf.ones([2 * d])])), tf.mul(p[3], tf.concat([tf.fill([d], 1 / Math.sqrt(hd)), tf.ones([2 * d])])));
          const a = tf.add(rows, fc(refAttention(qkv, b, n, heads), p[4], p[5]));
          const m = tf.add(a, fc(refGelu(fc(ln(a, p[6], p[7]), p[8], p[9])), p[10], p[11]));
          return tf.reshape(m, [b, n, d]);
        };
        agree('block', ours, ref, [r([b, n, d], 59), ...params], 72);
      });
      assert.equal(tf.memory().numTensors, before);
    });
  });
}
