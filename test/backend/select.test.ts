import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import type { BackendInfo } from '../../src/backend/types.js';
import { BackendError } from '../../src/util/errors.js';
import { NATIVE_SKIP, nativeBuilt } from './helpers.js';

const require = createRequire(import.meta.url);

async function withEnv(value: string, fn: () => Promise<void>): Promise<void> {
  const saved = process.env.DLTH_BACKEND;
  process.env.DLTH_BACKEND = value;
  try {
    await fn();
  } finally {
    if (saved === undefined) delete process.env.DLTH_BACKEND;
    else process.env.DLTH_BACKEND = saved;
  }
}

test('DLTH_BACKEND=cpu selects the pure-JS backend', () =>
  withEnv('cpu', async () => {
    const info = await initBackend();
    assert.equal(info.backend, 'cpu');
    assert.equal(info.requestedBy, 'env');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(info.threads, 1);
  }));

test('DLTH_BACKEND=wasm selects wasm, loaded from node_modules, idempotently', () =>
  withEnv('wasm', async () => {
    const info = await initBackend();
    assert.equal(info.backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(info.threads >= 1);
    assert.ok(info.notes.some((n) => n.startsWith('wasm SIMD')));
    assert.equal(await initBackend(), info, 'same request, same result object');
  }));

test('an explicit option overrides DLTH_BACKEND', () =>
  withEnv('wasm', async () => {
    const info = await initBackend({ backend: 'cpu' });
    assert.equal(info.backend, 'cpu');
    assert.equal(info.requestedBy, 'option');
  }));

test('DLTH_BACKEND=tensorflow: native TensorFlow in the shared tfjs-core, or a typed error why not', (t: TestContext) =>
  withEnv('tensorflow', async () => {
    if (!nativeBuilt()) {
      await assert.rejects(initBackend(), (err: unknown) => {
        assert.ok(err instanceof BackendError);
        assert.match(err.message, /tensorflow-gpu: no CUDA GPU|tensorflow: /);
        assert.match(err.message, /native binding not built|not installed/);
        return true;
      });
      t.skip(`native assertions: ${NATIVE_SKIP}`);
      return;
    }
    const info: BackendInfo = await initBackend();
    assert.equal(info.backend, 'tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.match(info.nativeVersion ?? '', /^2\.\d+\.\d+/);
    const native = require('@tensorflow/tfjs-node') as { engine(): unknown; version_core: string };
    assert.equal(native.engine(), tf.engine(), 'tfjs-node registered into our tfjs-core engine');
    assert.equal(native.version_core, tf.version_core);
  }));

test('auto picks native when its binding is built, else wasm', async () => {
  const info = await initBackend({ backend: 'auto' });
  assert.equal(info.backend, nativeBuilt() ? 'tensorflow' : 'wasm');
  assert.equal(tf.getBackend(), info.backend);
});
