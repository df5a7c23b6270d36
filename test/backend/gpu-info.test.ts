import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CUDA_SONAMES, findCudaLibraries, parseNvidiaSmi, queryNvidiaSmi } from '../../src/backend/gpu-info.js';
import { whyNotGpu } from '../../src/backend/gpu-report.js';
import type { BackendReport } from '../../src/backend/types.js';

// nvidia-smi --query-gpu=index,name,compute_cap,memory.total,driver_version --format=csv,noheader,nounits
const H200 = '0, NVIDIA H200, 9.0, 143771, 580.95.05\n1, Tesla K80, [N/A], 11441, 470.57.02\ngarbage line\n';

test('nvidia-smi answers are parsed; an old driver without compute_cap gives "?"', () => {
  assert.deepEqual(parseNvidiaSmi(H200), [
    { index: 0, name: 'NVIDIA H200', computeCapability: '9.0', memoryMiB: 143771, driver: '580.95.05' },
    { index: 1, name: 'Tesla K80', computeCapability: '?', memoryMiB: 11441, driver: '470.57.02' },
  ]);
  assert.deepEqual(parseNvidiaSmi(''), []);
});

test('queryNvidiaSmi: a missing binary and a failing one are reasons, a working one is parsed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-smi-'));
  try {
    assert.match(queryNvidiaSmi(join(dir, 'absent')).reason ?? '', /not found/);
    const failing = join(dir, 'failing');
    writeFileSync(failing, '#!/bin/sh\necho "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver" >&2\nexit 9\n');
    chmodSync(failing, 0o755);
    const bad = queryNvidiaSmi(failing);
    assert.equal(bad.found, true);
    assert.match(bad.reason ?? '', /nvidia-smi failed: NVIDIA-SMI has failed/);
    const ok = join(dir, 'ok');
    writeFileSync(ok, `#!/bin/sh\nprintf '${H200.split('\n')[0]}\\n'\n`);
    chmodSync(ok, 0o755);
    assert.equal(queryNvidiaSmi(ok).gpus[0]?.name, 'NVIDIA H200');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CUDA libraries: first directory that has the soname, then the system cache, else missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-cuda-'));
  try {
    writeFileSync(join(dir, 'libcudart.so.12.5.82'), '');
    symlinkSync('libcudart.so.12.5.82', join(dir, 'libcudart.so.12'));
    const libs = findCudaLibraries(['/nonexistent', dir], new Map([['libcudnn.so.9', '/usr/lib/libcudnn.so.9']]));
    assert.deepEqual(libs.map((l) => l.soname), [...CUDA_SONAMES]);
    assert.equal(libs.find((l) => l.soname === 'libcudart.so.12')?.path, join(dir, 'libcudart.so.12'));
    assert.equal(libs.find((l) => l.soname === 'libcudnn.so.9')?.path, '/usr/lib/libcudnn.so.9');
    assert.equal(libs.filter((l) => l.path === undefined).length, CUDA_SONAMES.length - 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const cpuReport = {
  backend: 'tensorflow', gpu: false, requested: 'auto', requestedBy: 'default',
  unavailable: [{ candidate: 'tensorflow-gpu', reason: 'libcudnn.so.9: cannot open shared object file' }],
} as unknown as BackendReport;

test('why no GPU: no driver first; with a GPU, missing CUDA libraries and the backend reasons', () => {
  const none = whyNotGpu(cpuReport, { found: false, gpus: [], reason: 'nvidia-smi not found' }, []);
  assert.match(none, /^nvidia-smi not found; tensorflow-gpu: libcudnn/);
  const smi = { found: true, gpus: parseNvidiaSmi(H200).slice(0, 1) };
  const some = whyNotGpu(cpuReport, smi, [{ soname: 'libcudart.so.12', path: '/x' }, { soname: 'libcudnn.so.9' }]);
  assert.match(some, /^CUDA libraries missing: libcudnn.so.9 \(run `DLTH_GPU=1 npm run setup`\); tensorflow-gpu: libcudnn/);
});
