/**
 * Nothing learned differently: a fixed-seed 200-step run of the real trainer (vit-micro-p4-28 on
 * Fashion-MNIST tickets, k = 25, AdamW, label smoothing, clipping, evaluation every epoch) whose
 * per-step training loss, gradient-free evaluation and final weights stay within float tolerance of
 * the curve recorded before the trainer was optimised (fixtures/loss-curve-200.json).
 * DLTH_RECORD_CURVE=1 rewrites the fixture instead of comparing (only on the tensorflow backend).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { train } from '../../src/trainer/train.js';
import { OUTPUT_FILES } from '../../src/trainer/outputs.js';
import type { EpochRecord } from '../../src/trainer/history.js';
import { makeFashionDataset } from './fixture.js';

const FIXTURE = join('test', 'trainer', 'fixtures', 'loss-curve-200.json');

interface Curve {
  note: string;
  backend: string;
  /** Training loss of steps 1–200 (before each update). */
  loss: number[];
  /** Per epoch: evaluation loss and accuracy on 500 test images. */
  eval: { loss: number; acc: number }[];
  /** Sum and sum of squares of every final weight. */
  weights: { sum: number; sumSq: number };
}

async function run(root: string): Promise<Omit<Curve, 'note' | 'backend'>> {
  const trainDir = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 3200, k: 25, seed: 3 });
  const testDir = await makeFashionDataset(join(root, 'test'), { split: 't10k', rows: 500, k: 25, seed: 4 });
  const loss: number[] = [];
  const out = join(root, 'out');
  await train({
    train: trainDir, eval: [{ name: 'test', dir: testDir }], model: 'vit-micro-p4-28',
    steps: 200, batchSize: 64, lr: 2e-3, warmupEpochs: 1, labelSmoothing: 0.1, clipNorm: 1, weightDecay: 0.05,
    seed: 11, out, progress: false, onStep: (s) => void loss.push(s.loss),
  });
  const records = readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);
  const { vit } = await loadCheckpoint(join(out, OUTPUT_FILES.model));
  let sum = 0;
  let sumSq = 0;
  for (const v of vit.trainableVariables()) {
    for (const x of v.dataSync()) {
      sum += x;
      sumSq += x * x;
    }
  }
  vit.dispose();
  return { loss, eval: records.map((r) => ({ loss: r.eval.test.loss, acc: r.eval.test.acc })), weights: { sum, sumSq } };
}

/** |a − b| ≤ rel·max(|a|, |b|, 1e-3): float tolerance, not bit identity. */
function close(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-3);
}

test('a fixed-seed 200-step run follows the recorded loss curve', async (t: TestContext) => {
  const info = await initBackend({});
  if (info.backend !== 'tensorflow') return t.skip(`recorded on the tensorflow backend, running on ${info.backend}`);
  const root = mkdtempSync(join(tmpdir(), 'dlth-loss-curve-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const got = await run(root);
  if (process.env.DLTH_RECORD_CURVE === '1') {
    const note = 'recorded by test/trainer/loss-curve.test.ts with DLTH_RECORD_CURVE=1';
    writeFileSync(FIXTURE, `${JSON.stringify({ note, backend: info.backend, ...got }, null, 1)}\n`);
    return;
  }
  const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Curve;
  assert.equal(got.loss.length, want.loss.length);
  const rel = got.loss.map((l, i) => Math.abs(l - want.loss[i]) / Math.max(Math.abs(want.loss[i]), 1e-3));
  const worst = (from: number, to: number): string => Math.max(...rel.slice(from, to)).toExponential(2);
  const evals = got.eval.map((e, i) => `${(e.loss - want.eval[i].loss).toExponential(1)}/${((e.acc - want.eval[i].acc) * 100).toFixed(1)}%`);
  console.log(`loss curve: largest relative difference over ${got.loss.length} steps ${worst(0, rel.length)} (step 1 ${worst(0, 1)}, steps 2–10 ${worst(1, 10)}, 11–50 ${worst(10, 50)}, 51–200 ${worst(50, 200)}); eval loss/accuracy differences per epoch ${evals.join(' ')}; final Σw² ${got.weights.sumSq.toFixed(3)} vs ${want.weights.sumSq.toFixed(3)}`);
  got.loss.forEach((l, i) => assert.ok(close(l, want.loss[i], 1e-3), `step ${i + 1}: loss ${l}, recorded ${want.loss[i]}`));
  got.eval.forEach((e, i) => {
    assert.ok(close(e.loss, want.eval[i].loss, 1e-3), `epoch ${i + 1}: eval loss ${e.loss}, recorded ${want.eval[i].loss}`);
    assert.ok(Math.abs(e.acc - want.eval[i].acc) <= 0.004, `epoch ${i + 1}: eval accuracy ${e.acc}, recorded ${want.eval[i].acc}`);
  });
  assert.ok(close(got.weights.sumSq, want.weights.sumSq, 1e-3), `final weights: sum of squares ${got.weights.sumSq}, recorded ${want.weights.sumSq}`);
});
