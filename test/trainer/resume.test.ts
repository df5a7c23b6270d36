import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterruptedError } from '../../src/util/errors.js';
import { train } from '../../src/trainer/train.js';
import type { TrainOptions } from '../../src/trainer/config.js';
import { makeFashionDataset } from './fixture.js';

const root = mkdtempSync(join(tmpdir(), 'dlth-trainer-resume-'));
let trainDir = '';
let testDir = '';

after(() => rmSync(root, { recursive: true, force: true }));

before(async () => {
  trainDir = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 200, k: 30, seed: 1 });
  testDir = await makeFashionDataset(join(root, 'test'), { split: 't10k', rows: 64 });
});

const options = (out: string): TrainOptions => ({
  train: trainDir,
  eval: [{ name: 'full', dir: testDir }],
  model: 'vit-micro-p4-28',
  modelOverrides: { dim: 16, depth: 1, heads: 2 },
  epochs: 3,
  batchSize: 32,
  lr: 3e-3,
  warmupEpochs: 1,
  flip: true,
  seed: 5,
  out,
  progress: false,
});

/** Runs until `stopAt` steps were taken, then stops through the abort signal (as SIGINT would). */
async function interrupted(out: string, stopAt: number): Promise<void> {
  const ac = new AbortController();
  const run = train({ ...options(out), signal: ac.signal, onStep: (s) => (s.step === stopAt ? ac.abort('test') : undefined) });
  await assert.rejects(run, InterruptedError);
}

const read = (dir: string, file: string): Buffer => readFileSync(join(dir, file));

test('a run stopped mid-epoch and resumed (twice) writes byte-identical metrics and weights', async () => {
  const straight = join(root, 'straight');
  const summary = await train(options(straight));
  assert.equal(summary.steps, 21); // 200 rows / 32 → 7 steps per epoch
  assert.equal(summary.epochs, 3);
  const resumed = join(root, 'resumed');
  await interrupted(resumed, 3); // mid-epoch 1
  assert.ok(readdirSync(join(resumed, 'state')).includes('state.json'));
  await interrupted(resumed, 10); // mid-epoch 2, after epoch 1 was recorded
  assert.equal(read(resumed, 'metrics.jsonl').toString().trim().split('\n').length, 1);
  await train(options(resumed));
  assert.equal(read(resumed, 'metrics.jsonl').toString(), read(straight, 'metrics.jsonl').toString());
  assert.ok(read(resumed, 'model.safetensors').equals(read(straight, 'model.safetensors')), 'weights differ');
  const a = JSON.parse(read(straight, 'summary.json').toString()) as { eval: unknown };
  const b = JSON.parse(read(resumed, 'summary.json').toString()) as { eval: unknown };
  assert.deepEqual(b.eval, a.eval);
});

test('a finished run rerun is a no-op with the same outputs; a changed config is refused', async () => {
  const out = join(root, 'straight');
  const before = read(out, 'metrics.jsonl');
  const again = await train(options(out));
  assert.equal(again.steps, 21);
  assert.ok(read(out, 'metrics.jsonl').equals(before));
  await assert.rejects(train({ ...options(out), lr: 1e-3 }), /holds the state of a different run/);
  const fresh = await train({ ...options(out), lr: 1e-3, epochs: 1, resume: false });
  assert.equal(fresh.steps, 7);
});
