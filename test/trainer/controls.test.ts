/**
 * Trainer options for the experiment's controls, on real Fashion-MNIST rows: `subset` (random
 * patches redrawn every epoch from a full dataset), `content: 'mean'` (position-only: the model's
 * results do not depend on pixels), evaluation on all patches beside tickets, and `stopWhen`
 * (stop on a plateau of an evaluation set's accuracy).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdx } from '../../src/sources/idx_format.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { DatasetKind, FORMAT_NAME, FORMAT_VERSION } from '../../src/shards/types.js';
import { parseStopFlag } from '../../src/cli/train.js';
import { plateaued } from '../../src/trainer/stop.js';
import { train } from '../../src/trainer/train.js';
import type { EpochRecord } from '../../src/trainer/history.js';
import type { TrainOptions } from '../../src/trainer/config.js';
import { CLASSES, makeFashionDataset } from './fixture.js';

const tiny = { model: 'vit-micro-p4-28', modelOverrides: { dim: 16, depth: 1, heads: 2 }, batchSize: 16, progress: false } as const;

function tmp(t: TestContext): string {
  const root = mkdtempSync(join(tmpdir(), 'dlth-controls-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** 32 training images with fixed random positions (k = 18); `invert` stores 255 − pixel instead. */
async function ticketsWithPixels(dir: string, invert: boolean): Promise<string> {
  const images = await readIdx('data/fashion-mnist-mini/train-images-idx3-ubyte.gz', 3);
  const labels = await readIdx('data/fashion-mnist-mini/train-labels-idx1-ubyte.gz', 1);
  const meta = {
    format: FORMAT_NAME, version: FORMAT_VERSION, kind: DatasetKind.Tickets, imageSize: [28, 28] as [number, number], patchSize: 4,
    grid: [7, 7] as [number, number], channels: 1, mean: [0.286], std: [0.353], k: 18, keep: 18 / 49, policy: 'random' as const, seed: 0,
    selector: null, source: { kind: 'idx', fingerprint: 'mini', classes: CLASSES }, numClasses: 10,
  };
  const w = await createTicketWriter({ dir, meta, shardBytes: 400_000, resume: false });
  for (let i = 0; i < 32; i++) {
    const grid = new Uint8Array(784);
    let at = 0;
    for (let gr = 0; gr < 7; gr++) for (let gc = 0; gc < 7; gc++) for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
      const v = images.data[i * 784 + (gr * 4 + r) * 28 + gc * 4 + c];
      grid[at++] = invert ? 255 - v : v;
    }
    const positions = Uint16Array.from({ length: 18 }, (_, j) => (j * 3 + i) % 49).sort();
    await w.writeVia((e) => e.appendFromGrid(`train-${i}`, labels.data[i], grid, positions, new Float32Array(18).fill(Number.NaN)));
  }
  await w.finalize();
  return dir;
}

const rec = (epoch: number, acc: number): EpochRecord => ({ epoch, step: epoch, samples: 0, lr: 0, train: { loss: 0, acc: 0 }, eval: { test: { loss: 0, acc } } });

test('plateaued: patience epochs without a strictly higher accuracy', () => {
  const rule = { eval: 'test', patience: 2 };
  assert.equal(plateaued([], rule), false);
  assert.equal(plateaued([rec(1, 0.5), rec(2, 0.6), rec(3, 0.6)], rule), false);
  assert.equal(plateaued([rec(1, 0.5), rec(2, 0.6), rec(3, 0.6), rec(4, 0.59)], rule), true);
  assert.equal(plateaued([rec(1, 0.5), rec(2, 0.4), rec(3, 0.7)], rule), false);
  assert.equal(plateaued([rec(1, 0.5), rec(2, 0.4), rec(3, 0.4)], rule), true);
  assert.equal(plateaued([rec(1, 0.5), rec(2, 0.4), rec(3, 0.4)], null), false);
  assert.deepEqual(parseStopFlag('ticket@0.5/test:3'), { eval: 'ticket@0.5/test', patience: 3 });
  assert.throws(() => parseStopFlag('test'), /expected <eval name>:<patience epochs>/);
});

test('subset over a full dataset: k patches per training row; evaluated on tickets and on all patches', async (t) => {
  const root = tmp(t);
  const full = await makeFashionDataset(join(root, 'full'), { split: 'train', rows: 48 });
  const ticketTest = await makeFashionDataset(join(root, 'ticket-test'), { split: 't10k', rows: 32, k: 18, seed: 5 });
  const fullTest = await makeFashionDataset(join(root, 'full-test'), { split: 't10k', rows: 32 });
  const out = join(root, 'out');
  const s = await train({ ...tiny, train: full, subset: 18, eval: [{ name: 'ticket', dir: ticketTest }, { name: 'all', dir: fullTest }], epochs: 2, out });
  assert.equal(s.datasets.train.k, 18);
  assert.equal(s.config.subset, 18);
  assert.deepEqual(Object.keys(s.eval).sort(), ['all', 'ticket']);
  assert.deepEqual([s.datasets.eval.ticket.k, s.datasets.eval.all.k], [18, 49]);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);
  assert.equal(lines.length, 2);
  for (const l of lines) assert.ok(Number.isFinite(l.eval.all.acc) && Number.isFinite(l.eval.ticket.acc));
  await assert.rejects(train({ ...tiny, train: full, subset: 50, epochs: 1, out: join(root, 'bad') }), /subset 50 exceeds the 49 patches/);
});

test("content 'mean': results do not depend on the pixels (inverted images give identical metrics)", async (t) => {
  const root = tmp(t);
  const a = await ticketsWithPixels(join(root, 'a'), false);
  const b = await ticketsWithPixels(join(root, 'b'), true);
  const run = async (dir: string, content: TrainOptions['content'], name: string): Promise<string> => {
    await train({ ...tiny, train: dir, eval: [{ name: 'self', dir }], content, steps: 3, out: join(root, name) });
    return readFileSync(join(root, name, 'metrics.jsonl'), 'utf8');
  };
  assert.equal(await run(a, 'mean', 'ma'), await run(b, 'mean', 'mb'));
  assert.notEqual(await run(a, 'pixels', 'pa'), await run(b, 'pixels', 'pb'));
});

test('stopWhen: a run whose accuracy cannot improve stops after patience epochs, also when resumed', async (t) => {
  const root = tmp(t);
  const data = await makeFashionDataset(join(root, 'd'), { split: 'train', rows: 32, k: 25 });
  const opts: TrainOptions = { ...tiny, train: data, eval: [{ name: 'self', dir: data }], lr: 1e-12, warmupLr: 1e-12, minLr: 0, epochs: 6, stopWhen: { eval: 'self', patience: 2 }, out: join(root, 'out') };
  const s = await train(opts);
  assert.equal(s.epochs, 3);
  assert.equal(s.stoppedEarly, true);
  const again = await train(opts); // resuming a stopped run trains nothing more
  assert.equal(again.epochs, 3);
  await assert.rejects(train({ ...opts, stopWhen: { eval: 'nope', patience: 1 } }), /stopWhen.eval = "nope" is invalid/);
  const full = await train({ ...opts, epochs: 3, out: join(root, 'out3') }); // plateaued exactly at its last epoch: not an early stop
  assert.deepEqual([full.epochs, full.stoppedEarly], [3, false]);
});

test('evalEvery: evaluation after every n epochs and after the last; refused together with stopWhen', async (t) => {
  const root = tmp(t);
  const data = await makeFashionDataset(join(root, 'd'), { split: 'train', rows: 32, k: 25 });
  const s = await train({ ...tiny, train: data, eval: [{ name: 'self', dir: data }], epochs: 3, evalEvery: 2, out: join(root, 'out') });
  const lines = readFileSync(join(root, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);
  assert.deepEqual(lines.map((l) => Object.keys(l.eval)), [[], ['self'], ['self']]);
  assert.equal(s.eval.self.final.acc, lines[2].eval.self.acc);
  await assert.rejects(train({ ...tiny, train: data, eval: [{ name: 'self', dir: data }], epochs: 3, evalEvery: 2, stopWhen: { eval: 'self', patience: 1 }, out: join(root, 'x') }), /evalEvery = 2 is invalid/);
});
