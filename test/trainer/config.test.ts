import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { variantConfig } from '../../src/model/configs.js';
import type { DatasetMeta } from '../../src/shards/types.js';
import { InputError } from '../../src/util/errors.js';
import { checkCompatible, modelConfigFor } from '../../src/trainer/datasets.js';
import { resolveTrainConfig } from '../../src/trainer/config.js';
import { train } from '../../src/trainer/train.js';
import { makeFashionDataset } from './fixture.js';

const root = mkdtempSync(join(tmpdir(), 'dlth-trainer-config-'));
let p4 = '';
let p7 = '';
let ticket = '';

after(() => rmSync(root, { recursive: true, force: true }));

before(async () => {
  p4 = await makeFashionDataset(join(root, 'p4'), { split: 't10k', rows: 40 });
  p7 = await makeFashionDataset(join(root, 'p7'), { split: 't10k', rows: 40, patchSize: 7 });
  ticket = await makeFashionDataset(join(root, 'ticket'), { split: 'train', rows: 40, k: 25 });
});

const base = { model: 'vit-micro-p4-28', modelOverrides: { dim: 16, depth: 1, heads: 2 }, epochs: 1, batchSize: 16, progress: false };

test('training on a dataset whose patch size differs from the model is refused, naming the dataset', async () => {
  await assert.rejects(train({ ...base, train: p7, out: join(root, 'o1') }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /p7/);
    assert.match(err.message, /patch size 7 ≠ 4/);
    assert.match(err.message, /vit-micro-p4-28/);
    return true;
  });
});

test('an evaluation set that does not fit the model is refused; a different k is fine', async () => {
  await assert.rejects(train({ ...base, train: ticket, eval: [{ name: 'bad', dir: p7 }], out: join(root, 'o2') }), /p7.*patch size 7 ≠ 4/s);
  const s = await train({ ...base, train: ticket, eval: [{ name: 'full', dir: p4 }, { name: 'ticket', dir: ticket }], out: join(root, 'o3') });
  assert.deepEqual(Object.keys(s.eval), ['full', 'ticket']);
  assert.equal(s.datasets.train.k, 25);
  assert.equal(s.datasets.eval.full.k, 49);
});

test('compatibility: channels, image size, k and classes are each checked', () => {
  const model = variantConfig('vit-micro-p4-28');
  const meta = {
    imageSize: [28, 28], patchSize: 4, grid: [7, 7], channels: 1, k: 49, numClasses: 10, mean: [0.5], std: [0.5],
  } as unknown as DatasetMeta;
  assert.doesNotThrow(() => checkCompatible(meta, model, 'm', 'd'));
  const bad: [Partial<DatasetMeta>, RegExp][] = [
    [{ channels: 3 }, /channels 3 ≠ 1/],
    [{ imageSize: [32, 32] }, /image 32×32 ≠ 28×28/],
    [{ numClasses: 100 }, /100 classes > the model head's 10/],
    [{ numClasses: null }, /no labels/],
  ];
  for (const [patch, re] of bad) assert.throws(() => checkCompatible({ ...meta, ...patch }, model, 'm', 'd'), re);
  const fromData = modelConfigFor('vit-micro-p4-28', { ...meta, numClasses: 7, mean: [0.3], std: [0.4] }, {});
  assert.equal(fromData.numClasses, 7);
  assert.deepEqual(fromData.mean, [0.3]);
  assert.equal(modelConfigFor('vit-micro-p4-28', meta, { numClasses: 12 }).numClasses, 12);
});

test('resolveTrainConfig fills defaults and names bad values', () => {
  const c = resolveTrainConfig({ train: 'd', model: 'm', out: 'o' });
  assert.equal(c.epochs, 10);
  assert.equal(c.batchSize, 128);
  assert.equal(c.steps, null);
  assert.throws(() => resolveTrainConfig({ train: 'd', model: 'm', out: 'o', epochs: 2, steps: 5 }), /either epochs or steps/);
  assert.throws(() => resolveTrainConfig({ train: 'd', model: 'm', out: 'o', lr: -1 }), /lr = -1/);
  assert.throws(() => resolveTrainConfig({ train: 'd', model: 'm', out: 'o', labelSmoothing: 1 }), /labelSmoothing/);
  assert.throws(() => resolveTrainConfig({ train: 'd', model: 'm', out: 'o', eval: [{ name: 'a', dir: 'x' }, { name: 'a', dir: 'y' }] }), /distinct/);
  // Pipeline references name evaluation sets.
  assert.equal(resolveTrainConfig({ train: 'd', model: 'm', out: 'o', eval: [{ name: 'ticket@0.5/test', dir: 'x' }] }).eval[0].name, 'ticket@0.5/test');
  assert.throws(() => resolveTrainConfig({ train: 'd', model: 'm', out: 'o', eval: [{ name: 'a\nb', dir: 'x' }] }), /control/);
});
