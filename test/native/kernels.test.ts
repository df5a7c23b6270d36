/**
 * dlth's own TensorFlow kernels (src/native/dlth_ops.cc): in use on the native CPU backend when
 * built (required when DLTH_REQUIRE_OPS=1, as in CI), equal to TensorFlow's ops at the shapes the
 * product meets (padding of tokens and head widths to whole vector lanes included), independent of
 * the thread count, and refusing malformed inputs with a message. Their gradients against autodiff:
 * test/model/custom-grads.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { nativeThreads } from '../../src/backend/devices.js';
import { dlthOps, OPS_ABI } from '../../src/backend/native.js';
import { attentionCore, attentionRows } from '../../src/model/layers/attention.js';
import { geluFolded } from '../../src/model/layers/gelu.js';
import { attentionKernel, dlthKernels, layerNormRowsGrad, setDlthKernels } from '../../src/model/layers/native.js';
import { normalize } from '../../src/model/layers/norm.js';
import { relErr } from '../model/helpers.js';

let native = true;
try {
  await initBackend({ backend: 'tensorflow' });
} catch {
  native = false;
}
const ops = dlthOps();
const reason = !native ? 'the native backend is unavailable' : ops && !ops.ok ? ops.reason : ops ? undefined : 'not loaded';
const required = process.env.DLTH_REQUIRE_OPS === '1';
const skip = reason !== undefined && !required ? `dlth's kernels are not in use: ${reason}` : false;

/** f's value and gradient with dlth's kernels and with TensorFlow's ops, to 1e-5 relative. */
function sameAsTensorFlow(name: string, f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, seed: number): void {
  tf.tidy(() => {
    const run = (dlth: boolean): tf.Tensor[] => {
      setDlthKernels(dlth);
      assert.equal(dlthKernels(), dlth);
      const w = tf.randomNormal(f(x).shape, 0, 1, 'float32', seed);
      return [f(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x)];
    };
    const [ours, reference] = [run(true), run(false)];
    setDlthKernels(true);
    ours.forEach((t, i) => {
      const e = relErr(t, reference[i]);
      assert.ok(e <= 1e-5, `${name}: ${i === 0 ? 'value' : 'gradient'} differs from TensorFlow's ops by ${e.toExponential(2)}`);
    });
  });
}

it("the kernels' interface number is the one the loader expects (one source of truth each side, bumped together)", () => {
  const m = /#define DLTH_OPS_ABI (\d+)/.exec(readFileSync('src/native/dlth_ops.cc', 'utf8'));
  assert.equal(Number(m?.[1]), OPS_ABI);
});

describe("dlth's TensorFlow kernels", { skip }, () => {
  it('are loaded on the native CPU backend (DLTH_REQUIRE_OPS=1 makes their absence a failure)', () => {
    assert.equal(reason, undefined, `dlth's kernels are not in use: ${reason}`);
    // their pool has TensorFlow's thread count (DLTH_OPS_THREADS overrides it)
    const own = Number.parseInt(process.env.DLTH_OPS_THREADS ?? '', 10);
    assert.equal(ops?.ok && ops.threads, own > 0 ? own : nativeThreads());
    assert.ok(dlthKernels());
    assert.deepEqual([...(ops?.ok ? ops.ops : [])].sort(), ['DlthAttention', 'DlthAttentionGrad', 'DlthGelu', 'DlthGeluGrad', 'DlthLayerNorm', 'DlthLayerNormGrad']);
  });

  it("equal TensorFlow's ops, values and gradients, at the product's shapes", () => {
    const before = tf.memory().numTensors;
    // micro at 28×28 (hd 16, 26 and 50 tokens), mini (hd 32), DeiT-tiny at 224/16 (hd 64, 197 tokens), odd sizes
    for (const [b, n, heads, d] of [[8, 26, 4, 64], [4, 50, 4, 64], [4, 19, 4, 128], [2, 197, 3, 192], [3, 1, 2, 6], [2, 33, 1, 17]]) {
      const qkv = tf.randomNormal([b * n, 3 * d], 0, 1.5, 'float32', n + d);
      sameAsTensorFlow(`attention b=${b} n=${n} heads=${heads} d=${d}`, (x) => attentionCore(x as tf.Tensor2D, { b, n, heads }), qkv, 7);
      qkv.dispose();
    }
    // the attention that also returns the CLS row (the kernel used directly, with its registered
    // gradient): both outputs feed the loss, so P's gradient is exercised too
    for (const [b, n, heads, d] of [[4, 26, 4, 64], [2, 33, 1, 17]]) {
      const s = { b, n, heads };
      const p = {
        qkv: { weight: tf.randomNormal([d, 3 * d], 0, 0.3, 'float32', 1), bias: tf.randomNormal([3 * d], 0, 0.1, 'float32', 2) },
        proj: { weight: tf.randomNormal([d, d], 0, 0.3, 'float32', 3), bias: null },
      };
      const x = tf.randomNormal([b * n, d], 0, 1, 'float32', 4);
      sameAsTensorFlow(`attention with the CLS row b=${b} n=${n} heads=${heads} d=${d}`, (v) => {
        const r = attentionRows(v as tf.Tensor2D, p, s, { heads, prefix: 1, returnClsAttention: true });
        return tf.concat([tf.reshape(r.out, [-1]), tf.mul(tf.reshape(r.clsAttention as tf.Tensor2D, [-1]), 10)]);
      }, x, 5);
      tf.dispose([x, p.qkv.weight, p.qkv.bias, p.proj.weight]);
    }
    for (const [t, d] of [[3328, 64], [5, 17], [1, 1]]) {
      const x = tf.tidy(() => tf.add(tf.randomNormal([t, d], 0, 3, 'float32', t), 1.5));
      sameAsTensorFlow(`layer norm ${t}×${d}`, (v) => normalize(v, 1e-6), x, 3);
      sameAsTensorFlow(`gelu ${t}×${d}`, (v) => geluFolded(v), x, 4);
      x.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('give the same bytes with 1, 2 and 3 threads', () => {
    const digest = (threads: number): string =>
      execFileSync(process.execPath, ['--import', 'tsx', 'test/native/fixtures/kernels-digest.ts'], {
        env: { ...process.env, DLTH_OPS_THREADS: String(threads), TF_CPP_MIN_LOG_LEVEL: '2' },
        encoding: 'utf8',
      }).trim();
    const [one, two, three] = [1, 2, 3].map(digest);
    assert.match(one, /^threads 1 sha256 [0-9a-f]{64}$/);
    assert.match(three, /^threads 3 /);
    const hashOf = (line: string) => line.split(' ').pop();
    assert.equal(hashOf(two), hashOf(one));
    assert.equal(hashOf(three), hashOf(one));
  });

  it('refuse malformed inputs with a message', () => {
    assert.throws(() => attentionKernel(tf.zeros([10, 9]) as tf.Tensor2D, 2, 5), /qkv \[10, 9\] does not split into 2 heads of 5 tokens/);
    assert.throws(() => attentionKernel(tf.zeros([10, 12]) as tf.Tensor2D, 2, 3), /does not split into 2 heads of 3 tokens/);
    assert.throws(() => layerNormRowsGrad(tf.zeros([4, 3]) as tf.Tensor2D, tf.zeros([4, 2]), tf.zeros([4])), /dy, xhat and rstd disagree in shape/);
    assert.throws(() => attentionKernel(tf.zeros([4, 6, 1]) as unknown as tf.Tensor2D, 1, 2), /expected a float32 tensor of rank 2/);
  });
});
