import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { openDataset } from '../../src/shards/reader.js';
import { scoreRows } from '../../src/shards/rows.js';
import type { ScoreRow } from '../../src/shards/types.js';
import type { ImagePayload, Source } from '../../src/sources/types.js';
import { ImageError } from '../../src/util/errors.js';
import { scoreSource } from '../../src/scoring/score.js';
import type { LoadedSelector } from '../../src/scoring/selector.js';
import { decodeBatches } from '../../src/engine/decode.js';

const CLASSES = ['a', 'b', 'c'];
let dir: string;
let selector: LoadedSelector;
const patchify = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.5], std: [0.5] });

/** 11 deterministic 28×28 grey images; `bad` indices fail to load. */
function source(bad: readonly number[] = []): Source {
  const size = 11;
  return {
    kind: 'test',
    classes: CLASSES,
    fingerprint: 'sha256:test',
    size,
    ref: (i) => ({ id: `img-${String(i).padStart(3, '0')}`, label: i % 3, location: `mem#${i}` }),
    async load(i): Promise<ImagePayload> {
      if (bad.includes(i)) throw new ImageError('corrupt', { file: `mem#${i}` });
      const data = new Uint8Array(28 * 28);
      let s = i + 1;
      for (let j = 0; j < data.length; j++) data[j] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
      return { kind: 'raw', file: `mem#${i}`, image: { width: 28, height: 28, channels: 1, data } };
    },
  };
}

async function rows(out: string): Promise<ScoreRow[]> {
  const all: ScoreRow[] = [];
  for await (const r of scoreRows(await openDataset(out))) all.push(r);
  return all;
}

before(async () => {
  await initBackend({ backend: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'dlth-score-'));
  selector = { vit: ViT.init(variantConfig('vit-micro-p4-28'), 5), fingerprint: 'sha256:fixed', model: 'vit-micro-p4-28' };
});

after(async () => {
  selector.vit.dispose();
  await rm(dir, { recursive: true, force: true });
});

test('decodeBatches: batches on the global grid, in order, failures per sample, at most `concurrency` decodes at once', async () => {
  const got: string[] = [];
  let running = 0;
  let peak = 0;
  const load = async (i: number): Promise<number> => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 2));
    running--;
    if (i === 4) throw new Error('x');
    return i * 10;
  };
  for await (const b of decodeBatches({ start: 2, end: 9 }, load, { batchSize: 3, concurrency: 2 })) got.push(b.map((r) => (r.ok ? String(r.value) : `!${r.index}`)).join(','));
  assert.deepEqual(got, ['20', '30,!4,50', '60,70,80']);
  assert.equal(peak, 2);
});

test('scoreSource: score dataset with metadata, identical bytes across batch sizes', async () => {
  const fps: string[] = [];
  for (const batchSize of [1, 4, 16]) {
    const out = join(dir, `b${batchSize}`);
    const before = tf.memory().numTensors;
    const res = await scoreSource({ source: source(), patchify, selector, mode: 'evit', params: { rate: 0.7 }, engine: { batchSize, out, progress: false } });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(res.rows, 11);
    assert.deepEqual(res.selector, { fingerprint: 'sha256:fixed', model: 'vit-micro-p4-28', mode: 'evit', params: { rate: 0.7, blocks: [1, 2, 3] },
      preprocessing: { from: 'default', resize: 'none', cropPct: 0.875, interpolation: 'cubic' } });
    fps.push(res.manifest.fingerprint);
  }
  assert.equal(new Set(fps).size, 1);
  const ds = await openDataset(join(dir, 'b4'));
  assert.equal(ds.meta.kind, 'scores');
  assert.equal(ds.meta.k, 49);
  assert.deepEqual(ds.meta.source.classes, CLASSES);
  const r = await rows(join(dir, 'b4'));
  assert.deepEqual(r.map((x) => x.id), Array.from({ length: 11 }, (_, i) => `img-${String(i).padStart(3, '0')}`));
  assert.equal(r[4].label, 1);
  assert.equal(new Set(r[0].rank).size, 49);
});

test('scoreSource: failures are recorded and bounded by maxFailures; workers split the source', async () => {
  const out = join(dir, 'bad');
  await assert.rejects(scoreSource({ source: source([3]), patchify, selector, engine: { out, progress: false } }), /1 samples failed/);
  const res = await scoreSource({ source: source([3]), patchify, selector, engine: { out, progress: false, maxFailures: 1, batchSize: 4 } });
  assert.equal(res.rows, 10);
  assert.equal(res.failures, 1);
  const errors = (await readFile(join(out, 'errors.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string });
  assert.deepEqual(errors.map((e) => e.id), ['img-003']);
  const w0 = await scoreSource({ source: source(), patchify, selector, engine: { out: join(dir, 'split'), worker: { index: 0, count: 2 }, batchSize: 2, progress: false } });
  const w1 = await scoreSource({ source: source(), patchify, selector, engine: { out: join(dir, 'split'), worker: { index: 1, count: 2 }, batchSize: 2, progress: false } });
  assert.deepEqual([w0.rows, w1.rows], [6, 5], 'worker ranges on the batch grid: 6 batches of 2, 3 each');
  assert.deepEqual([w0.dir, w1.dir], [join(dir, 'split', 'workers', '0-of-2'), join(dir, 'split', 'workers', '1-of-2')]);
  const whole = await scoreSource({ source: source(), patchify, selector, engine: { out: join(dir, 'whole'), batchSize: 2, progress: false } });
  const parts = [...(await rows(w0.dir)), ...(await rows(w1.dir))];
  assert.deepEqual(parts, await rows(join(dir, 'whole')));
  assert.equal(whole.rows, 11);
});

test('scoreSource rejects a selector whose geometry differs from patchify', async () => {
  const p32 = resolvePatchifyConfig({ imageSize: [32, 32], patchSize: 4, channels: 1, resize: 'none', mean: [0.5], std: [0.5] });
  await assert.rejects(scoreSource({ source: source(), patchify: p32, selector, engine: { out: join(dir, 'geo'), progress: false } }), /takes 28×28/);
});

test('scoreSource: an interrupted run resumes from its complete shards, same bytes as one run', async () => {
  const base = { patchify, selector };
  const eng = { progress: false, batchSize: 2, shardBytes: 1024, batchBytes: 512 };
  const whole = await scoreSource({ ...base, source: source(), engine: { ...eng, out: join(dir, 'once') } });
  assert.ok(whole.shards > 1);
  const out = join(dir, 'resume');
  const stop = new AbortController();
  const src = source();
  const stopping: Source = { ...src, ref: src.ref, load: async (i) => {
    if (i >= 6) stop.abort('test');
    return src.load(i);
  } };
  await assert.rejects(scoreSource({ ...base, source: stopping, engine: { ...eng, out, signal: stop.signal } }));
  const again = await scoreSource({ ...base, source: source(), engine: { ...eng, out } });
  assert.ok(again.reused >= 1, `reused ${again.reused}`);
  assert.equal(again.manifest.fingerprint, whole.manifest.fingerprint);
});
