/**
 * Model construction can be stopped: the trainer builds the weights one tensor at a time, yielding
 * to the event loop, so SIGTERM/SIGINT during the seconds a large model takes to build ends the
 * run at once (exit 130) instead of after the build. The weights are those of `initWeights`, bit
 * for bit; a stop leaves no tensor behind.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { disposeParams, initWeights, namedVariables } from '../../src/model/weights.js';
import { variantConfig, type ViTConfigInput } from '../../src/model/configs.js';
import { initWeightsInterruptibly } from '../../src/trainer/init.js';
import { InterruptedError } from '../../src/util/errors.js';
import { runCli } from '../cli/run-cli.js';
import { makeFashionDataset } from './fixture.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

test('initWeightsInterruptibly makes the weights of initWeights, bit for bit, under the same names', async () => {
  const configs: ViTConfigInput[] = [{}, { qkvBias: false, numClasses: 0 }, { distilled: true }, { distilled: true, distillHead: false, mlpRatio: 2.5, depth: 3 }];
  for (const o of configs) {
    const config = variantConfig('vit-micro-p4-28', { dim: 16, heads: 2, depth: 2, ...o });
    const a = initWeights(config, 11);
    const b = await initWeightsInterruptibly(config, 11);
    const va = namedVariables(a);
    const vb = namedVariables(b);
    assert.deepEqual(vb.map(([n, v]) => [n, v.shape]), va.map(([n, v]) => [n, v.shape]), JSON.stringify(o));
    va.forEach(([name, v], i) => assert.deepEqual(vb[i][1].dataSync(), v.dataSync(), `${name} ${JSON.stringify(o)}`));
    disposeParams(a);
    disposeParams(b);
  }
});

test('a stop during construction throws InterruptedError and leaves no tensor', async () => {
  const config = variantConfig('vit-micro-p4-28', { dim: 32, heads: 2, depth: 6 });
  const before = tf.memory().numTensors;
  const stop = new AbortController();
  const building = initWeightsInterruptibly(config, 1, stop.signal);
  setImmediate(() => stop.abort('SIGTERM'));
  await assert.rejects(building, (e) => e instanceof InterruptedError && /stopped \(SIGTERM\)/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
});

test('dlth train: SIGTERM while a large model is being built exits 130 within seconds, before any step', { timeout: 240_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-train-interrupt-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 16 });
  const out = join(root, 'out');
  let pid = 0;
  let signalled = 0;
  // 85M parameters (1.3 GiB with AdamW state, under the 4 GiB default): about 8 s to build on an idle 2-core machine.
  const r = await runCli(['train', '--train', data, '--model', 'vit-micro-p4-28', '--set', 'dim=768', '--set', 'depth=12', '--set', 'heads=4',
    '--steps', '1', '--batch-size', '16', '-o', out], {
    timeoutMs: 180_000,
    started: (p) => (pid = p),
    onStderr: (chunk) => {
      if (signalled === 0 && /building the model, 85,\d{3},\d{3} parameters/.test(chunk)) {
        signalled = -1;
        setTimeout(() => {
          signalled = Date.now();
          process.kill(pid, 'SIGTERM');
        }, 500);
      }
    },
  });
  assert.ok(signalled > 0, `the build was announced: ${r.stderr}`);
  assert.equal(r.killed, false, r.stderr);
  assert.equal(r.code, 130, r.stderr);
  const after = Date.now() - signalled;
  assert.ok(after < 3000, `exited ${after} ms after SIGTERM`);
  assert.match(r.stderr, /dlth: error: stopped \(SIGTERM\)/);
  assert.equal(existsSync(join(out, 'state')), false, 'stopped before the first step: no state saved');
});
