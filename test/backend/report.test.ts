import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backendReport, formatBackendReport } from '../../src/backend/report.js';
import type { BackendReport, Candidate } from '../../src/backend/types.js';
import { nativeBuilt } from './helpers.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** backendReport() in a child process where tfjs-node cannot load (HIDE_NATIVE says how). */
function reportWithoutNative(hide: 'binding' | 'package'): BackendReport {
  const res = spawnSync(
    process.execPath,
    ['--require', fixture('hide-native.cjs'), '--import', 'tsx', fixture('print-report.ts')],
    { encoding: 'utf8', env: { ...process.env, HIDE_NATIVE: hide, DLTH_BACKEND: '' } },
  );
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as BackendReport;
}

const reasonOf = (r: BackendReport, c: Candidate): string | undefined =>
  r.unavailable.find((u) => u.candidate === c)?.reason;

test('without a native binding, auto falls back to wasm and the report says why', () => {
  const r = reportWithoutNative('binding');
  assert.equal(r.backend, 'wasm');
  assert.match(reasonOf(r, 'tensorflow-gpu') ?? '', /no CUDA GPU found/);
  assert.match(reasonOf(r, 'tensorflow') ?? '', /^native binding not built: .*tfjs_binding\.node.*setup-native\.sh/);
  assert.equal(r.nativeVersion, undefined);
  const text = formatBackendReport(r);
  assert.match(text, /^backend: +wasm \(@tensorflow\/tfjs-backend-wasm\)$/m);
  assert.match(text, /^unavailable: tensorflow: native binding not built/m);
});

test('without the tfjs-node package, the report says it is not installed', () => {
  const r = reportWithoutNative('package');
  assert.equal(reasonOf(r, 'tensorflow'), 'package @tensorflow/tfjs-node is not installed');
});

test('the report of this machine lists backend, versions, devices, threads and reasons', async () => {
  const r = await backendReport({ backend: 'auto' });
  assert.equal(r.tfjsVersion, '4.22.0');
  assert.ok(r.devices.some((d) => d.type === 'cpu' && (d.cores ?? 0) >= 1));
  assert.ok(r.threads >= 1);
  const faster = r.unavailable.map((u) => u.candidate);
  if (nativeBuilt()) {
    assert.equal(r.backend, 'tensorflow');
    assert.match(r.nativeVersion ?? '', /^2\./);
    assert.deepEqual(faster, r.gpu ? [] : ['tensorflow-gpu', 'webgpu']);
    if (!r.gpu) assert.match(reasonOf(r, 'webgpu') ?? '', /no GPU visible|software Vulkan adapter/);
  } else {
    assert.equal(r.backend, 'wasm');
    assert.deepEqual(faster, ['tensorflow-gpu', 'webgpu', 'tensorflow']);
    assert.match(reasonOf(r, 'tensorflow') ?? '', /native binding not built|not installed|failed to load/);
  }
  for (const u of r.unavailable) assert.ok(u.reason.length > 0, `${u.candidate} has a reason`);
});

test('a slower backend requested on purpose: faster ones are reported as not selected or why not', async () => {
  const r = await backendReport({ backend: 'cpu' });
  assert.equal(r.backend, 'cpu');
  assert.deepEqual(r.unavailable.map((u) => u.candidate), ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']);
  assert.match(reasonOf(r, 'webgpu') ?? '', /not tried: cpu was requested by option/);
  assert.match(reasonOf(r, 'wasm') ?? '', /available, not selected: cpu was requested by option/);
});
