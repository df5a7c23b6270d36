// Data parallelism across processes (src/trainer/data-parallel.ts): a step shared by worker
// processes equals the one-process step up to float rounding (labels and mixup's soft targets),
// a whole train() run with dataParallel 2 follows the one-process run, bad values and a dead
// worker are one clear error, and nothing is left behind (exchange file, processes).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { AdamW } from '../../src/trainer/adamw.js';
import { batchPart, combineGradients, DataParallel, splitSizes } from '../../src/trainer/data-parallel.js';
import { ensureGradients } from '../../src/trainer/gradients.js';
import { buildModel } from '../../src/trainer/model.js';
import { trainStep, type HostBatch } from '../../src/trainer/step.js';
import { train } from '../../src/trainer/train.js';
import { dlthKernels } from '../../src/model/layers/native.js';
import { BackendError, InputError } from '../../src/util/errors.js';
import { makeFashionDataset } from './fixture.js';

before(async () => {
  await initBackend({ backend: 'tensorflow' });
  ensureGradients();
});

const CONFIG = variantConfig('vit-micro-p4-28', { dim: 32, depth: 2, heads: 2 });
const STEP = { labelSmoothing: 0.1, clipNorm: 1 };

function batch(size: number, k: number, soft: boolean): HostBatch {
  const positions = new Uint16Array(size * k);
  for (let b = 0; b < size; b++) for (let j = 0; j < k; j++) positions[b * k + j] = (j * 2 + b) % 49;
  for (let b = 0; b < size; b++) positions.subarray(b * k, (b + 1) * k).sort();
  const labels = new Int32Array(size).map((_, i) => (i * 7) % 10);
  const targets = soft ? new Float32Array(size * 10).map((_, i) => (i % 10 === labels[Math.floor(i / 10)] ? 0.7 : i % 10 === (labels[Math.floor(i / 10)] + 1) % 10 ? 0.3 : 0)) : null;
  return { size, k, patches: new Uint8Array(size * k * 16).map((_, i) => (i * 37 + (i >> 5)) % 256), positions, labels, targets };
}

const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);

test('splitSizes and batchPart cut a batch into contiguous parts; combineGradients is the weighted sum', () => {
  assert.deepEqual(splitSizes(10, 3), [4, 3, 3]);
  assert.deepEqual(splitSizes(2, 3), [1, 1, 0]);
  const b = batch(5, 3, true);
  const p = batchPart(b, 1, 2);
  assert.deepEqual([...p.labels], [...b.labels.subarray(1, 3)]);
  assert.deepEqual([...p.positions], [...b.positions.subarray(3, 9)]);
  assert.deepEqual([...(p.targets ?? [])], [...(b.targets ?? new Float32Array()).subarray(10, 30)]);
  assert.equal(p.patches.length, 2 * 3 * 16);
  const g = combineGradients([{ grad: Float32Array.of(1, 2), weight: 0.25 }, { grad: Float32Array.of(3, -4), weight: 0.75 }], 2);
  assert.deepEqual([...g], [2.5, -2.5]);
  assert.throws(() => combineGradients([{ grad: Float32Array.of(1), weight: 1 }], 2), BackendError);
});

for (const soft of [false, true]) {
  test(`two processes take the same steps as one, up to float rounding (${soft ? 'soft targets' : 'labels'})`, async () => {
    const a = buildModel(CONFIG, 0);
    const oa = new AdamW(a.model.params);
    const b = buildModel(CONFIG, 0);
    const ob = new AdamW(b.model.params);
    const dp = await DataParallel.start({ processes: 2, model: CONFIG, backend: 'tensorflow', threads: 1 }, b.model, ob);
    const exchange = dp.exchangePath;
    try {
      assert.equal(dp.workerPids.length, 1);
      for (let i = 0; i < 4; i++) {
        const x = batch(9, 20, soft); // 9 = 5 + 4: unequal parts
        x.labels[0] = i % 10;
        const ra = await trainStep(a.model, oa, x, 1e-3, STEP);
        const rb = await dp.step(b.model, ob, x, 1e-3, STEP);
        assert.ok(relDiff(ra.loss, rb.loss) < 1e-5, `step ${i}: loss ${ra.loss} vs ${rb.loss}`);
        assert.ok(relDiff(ra.gradNorm, rb.gradNorm) < 1e-4, `step ${i}: gradient norm ${ra.gradNorm} vs ${rb.gradNorm}`);
        assert.equal(ra.correct, rb.correct);
      }
      const pa = oa.paramsHost();
      const pb = ob.paramsHost();
      let worst = 0;
      let sum = 0;
      for (let j = 0; j < pa.length; j++) {
        worst = Math.max(worst, Math.abs(pa[j] - pb[j]));
        sum += Math.abs(pa[j] - pb[j]);
      }
      // Adam divides by √v: where a gradient element is near 0, a rounding difference moves its
      // update by up to lr. Bounded here by 5% of the largest possible drift (lr · steps), and on average by far less.
      assert.ok(worst < 0.05 * 1e-3 * 4, `largest parameter difference ${worst}`);
      assert.ok(sum / pa.length < 1e-6, `mean parameter difference ${sum / pa.length}`);
    } finally {
      dp.close();
      oa.dispose();
      ob.dispose();
      a.vit.dispose();
      b.vit.dispose();
    }
    assert.equal(existsSync(dirname(exchange)), false, 'the exchange directory is removed');
  });
}

test('a worker that dies makes the next step fail with one line naming it', async () => {
  const b = buildModel(CONFIG, 0);
  const ob = new AdamW(b.model.params);
  const dp = await DataParallel.start({ processes: 2, model: CONFIG, backend: 'tensorflow', threads: 1 }, b.model, ob);
  try {
    const [pid] = dp.workerPids;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(dp.step(b.model, ob, batch(4, 10, false), 1e-3, STEP), (err: unknown) => err instanceof BackendError && /gradient worker 1 exited \(SIGKILL\)/.test(err.message));
  } finally {
    dp.close();
    ob.dispose();
    b.vit.dispose();
  }
});

test('train() with dataParallel 2 follows the one-process run; bad values are refused in one line', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-dp-'));
  try {
    const data = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 96, k: 25 });
    const common = { train: data, model: 'vit-micro-p4-28', modelOverrides: { dim: 32, depth: 2, heads: 2 }, steps: 6, batchSize: 32, lr: 1e-3, progress: false };
    const one = await train({ ...common, out: join(root, 'one') });
    const two = await train({ ...common, out: join(root, 'two'), dataParallel: 2 });
    assert.equal(two.steps, 6);
    assert.ok(relDiff(one.train?.loss ?? Number.NaN, two.train?.loss ?? Number.NaN) < 1e-4, `train loss ${one.train?.loss} vs ${two.train?.loss}`);
    const summary = JSON.parse(readFileSync(join(root, 'two', 'summary.json'), 'utf8')) as { config: { dataParallel: number }; kernels?: string };
    assert.equal(summary.config.dataParallel, 2);
    // which kernels computed the layers is recorded (results differ between the two by rounding)
    assert.match(summary.kernels ?? '', dlthKernels() ? /^dlth \(.+\)$/ : /^tensorflow$/);
    for (const bad of [0, 1.5, 65, 33]) {
      await assert.rejects(train({ ...common, out: join(root, 'bad'), dataParallel: bad }), (err: unknown) => err instanceof InputError && /dataParallel/.test(err.message) && !err.message.includes('\n'));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('dlth train --data-parallel 2 from the sources, started outside the repository, trains (the workers load tsx themselves)', async () => {
  // bin/dlth.js registers tsx in code when dist/ is stale (DLTH_SOURCE=1 forces that path): the
  // workers inherit no loader flag and must be given one that resolves from the repository.
  const root = mkdtempSync(join(tmpdir(), 'dlth-dp-cli-'));
  try {
    const data = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 64, k: 25 });
    const res = spawnSync(process.execPath, [resolve('bin/dlth.js'), 'train', '--train', data, '--model', 'vit-micro-p4-28', '--steps', '2', '--batch-size', '32', '--data-parallel', '2', '--out', join(root, 'out'), '-q'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, DLTH_SOURCE: '1', TF_CPP_MIN_LOG_LEVEL: '2' }, timeout: 120_000,
    });
    assert.equal(res.status, 0, res.stderr);
    const summary = JSON.parse(readFileSync(join(root, 'out', 'summary.json'), 'utf8')) as { steps: number; config: { dataParallel: number } };
    assert.equal(summary.config.dataParallel, 2);
    assert.equal(summary.steps, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
