import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fallbackNotice, sayFallback } from '../../src/backend/fallback.js';
import type { BackendInfo, Unavailable } from '../../src/backend/types.js';

const info = (backend: BackendInfo['backend'], requested: BackendInfo['requested']): BackendInfo => ({
  backend, requested, requestedBy: 'default', package: 'x', gpu: false, threads: 1, tfjsVersion: '4.22.0', notes: [],
});
const nativeMissing: Unavailable[] = [
  { candidate: 'tensorflow-gpu', reason: 'no CUDA GPU found' },
  { candidate: 'tensorflow', reason: 'package @tensorflow/tfjs-node is not installed' },
];

test('auto falling back from native to wasm or cpu says so in one line, with the slowdown and the reason', () => {
  const line = fallbackNotice(info('wasm', 'auto'), nativeMissing);
  assert.ok(line);
  assert.ok(!line.includes('\n'));
  assert.match(line, /native TensorFlow is unavailable \(package @tensorflow\/tfjs-node is not installed\); falling back to wasm, about 34× slower/);
  assert.match(fallbackNotice(info('cpu', 'auto'), nativeMissing) ?? '', /falling back to cpu, about over 34× slower/);
});

test('no notice when native is in use, or a slow backend was asked for', () => {
  assert.equal(fallbackNotice(info('tensorflow', 'auto'), nativeMissing.slice(0, 1)), undefined);
  assert.equal(fallbackNotice(info('wasm', 'wasm'), []), undefined);
  assert.equal(fallbackNotice(info('cpu', 'cpu'), []), undefined);
});

test('sayFallback writes the line once per process', () => {
  const lines: string[] = [];
  sayFallback(info('wasm', 'auto'), nativeMissing, (l) => lines.push(l));
  sayFallback(info('wasm', 'auto'), nativeMissing, (l) => lines.push(l));
  assert.equal(lines.length, 1);
});
