/** The quiet filter drops exactly TensorFlow's start-up INFO/WARNING lines and Dawn's probe noise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitStatus, isNoise } from '../../src/cli/quiet.js';

test('quiet: library start-up noise is dropped, our messages and native errors are kept', () => {
  for (const line of [
    'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
    'I0000 00:00:1795869320.977454    2446 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results',
    'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
    'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
    ' - While initializing adapter (backend=BackendType::Vulkan)',
    '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
  ]) assert.equal(isNoise(line), true, line);
  for (const line of [
    'dlth: error: /tmp/x/manifest.json: $.version: unknown format version 2 (this reader knows 1)',
    'E0000 00:00:1795869320.977454    2446 cuda_driver.cc:12] failed call to cuInit: UNKNOWN ERROR',
    'score  120/4000 img  37.1 img/s  ETA 01:45',
    'Warning: something else entirely',
    'error: something that is ours',
  ]) assert.equal(isNoise(line), false, line);
});

test('quiet: the parent exits with the child status, 128 + signal number when a signal killed it', () => {
  assert.equal(exitStatus(0, null), 0);
  assert.equal(exitStatus(5, null), 5);
  assert.equal(exitStatus(null, 'SIGINT'), 130);
  assert.equal(exitStatus(null, 'SIGTERM'), 143);
  assert.equal(exitStatus(null, 'SIGABRT'), 134);
  assert.equal(exitStatus(null, 'SIGSEGV'), 139);
});
