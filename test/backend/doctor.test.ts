import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerDoctor } from '../../src/cli/doctor.js';
import type { BackendReport } from '../../src/backend/types.js';
import type { GpuReport } from '../../src/backend/gpu-report.js';

async function runDoctor(args: string[]): Promise<string> {
  const program = new Command('dlth').exitOverride().configureOutput({ writeErr: () => undefined });
  const chunks: string[] = [];
  registerDoctor(program, (text) => void chunks.push(text));
  await program.parseAsync(['doctor', ...args], { from: 'user' });
  return chunks.join('');
}

test('dlth doctor --json --backend cpu prints the report as JSON', async () => {
  const report = JSON.parse(await runDoctor(['--json', '--backend', 'cpu'])) as BackendReport;
  assert.equal(report.backend, 'cpu');
  assert.equal(report.requestedBy, 'option');
  assert.ok(Array.isArray(report.unavailable));
  const { gpus } = report as BackendReport & { gpus: GpuReport };
  assert.equal(gpus.cudaLibraries.length, 8);
  assert.ok('adapter' in gpus.vulkan || gpus.vulkan.reason.length > 0);
  assert.match(gpus.whyNotGpu ?? '', /\S/, 'the cpu backend is not a GPU: doctor says why');
});

test('dlth doctor prints one fact per line', async () => {
  const text = await runDoctor(['--backend', 'wasm']);
  for (const key of ['backend', 'requested', 'tfjs-core', 'tensorflow', 'threads', 'device', 'gpu', 'nvidia', 'cuda libs', 'vulkan', 'no gpu']) {
    assert.match(text, new RegExp(`^${key}: +\\S`, 'm'));
  }
  assert.match(text, /^backend: +wasm/m);
});

test('dlth doctor rejects an unknown backend', async () => {
  await assert.rejects(runDoctor(['--backend', 'webgl']), /argument 'webgl' is invalid/);
});
