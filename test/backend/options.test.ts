import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidatesFor } from '../../src/backend/init.js';
import { parseBackendName, resolveBackendOptions } from '../../src/backend/options.js';
import type { BackendName } from '../../src/backend/types.js';
import { BackendError } from '../../src/util/errors.js';

test('the option wins over DLTH_BACKEND, which wins over auto', () => {
  assert.deepEqual(resolveBackendOptions({}, {}), { backend: 'auto', requestedBy: 'default', quiet: true });
  assert.equal(resolveBackendOptions({}, { DLTH_BACKEND: 'wasm' }).backend, 'wasm');
  assert.equal(resolveBackendOptions({}, { DLTH_BACKEND: 'wasm' }).requestedBy, 'env');
  const both = resolveBackendOptions({ backend: 'cpu', quiet: false }, { DLTH_BACKEND: 'wasm' });
  assert.deepEqual(both, { backend: 'cpu', requestedBy: 'option', quiet: false });
  assert.equal(resolveBackendOptions({}, { DLTH_BACKEND: ' ' }).backend, 'auto');
});

test('backend names are parsed case-insensitively; unknown names are typed errors naming the value', () => {
  assert.equal(parseBackendName(' TensorFlow ', 'flag'), 'tensorflow');
  assert.throws(() => resolveBackendOptions({}, { DLTH_BACKEND: 'webgl' }), (err: unknown) => {
    assert.ok(err instanceof BackendError);
    assert.equal(err.code, 'E_BACKEND');
    assert.match(err.message, /DLTH_BACKEND: unknown backend "webgl"; expected one of auto\|tensorflow\|webgpu\|wasm\|cpu/);
    return true;
  });
  assert.throws(() => resolveBackendOptions({ backend: 'gpu' as BackendName }, {}), BackendError);
});

test('auto tries every backend fastest first; explicit names only their own', () => {
  assert.deepEqual(candidatesFor('auto'), ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
  assert.deepEqual(candidatesFor('webgpu'), ['webgpu']);
  assert.deepEqual(candidatesFor('tensorflow'), ['tensorflow-gpu', 'tensorflow']);
  assert.deepEqual(candidatesFor('wasm'), ['wasm']);
  assert.deepEqual(candidatesFor('cpu'), ['cpu']);
});
