import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { materialize, type MaterializeOptions } from '../../src/tickets/materialize.js';
import { randomPolicy } from '../../src/tickets/policies/index.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { IoError, TooManyFailuresError } from '../../src/util/errors.js';
import { faultFs } from '../shards/faultfs.js';
import { readTickets, snapshot, tempDir } from '../shards/helpers.js';
import { nested, smallPatchify, syntheticSource, type FlatMaterializeOptions } from './source.js';

function options(out: string, extra: Partial<FlatMaterializeOptions> = {}): MaterializeOptions {
  return nested({ source: syntheticSource(23), patchify: smallPatchify(), policy: 'random', keep: 0.25, seed: 11, out, progress: false, ...extra });
}

test('random tickets are identical across concurrency and shard sizes, and match the policy', async () => {
  const runs = [
    { concurrency: 1, shardBytes: 1 << 20 },
    { concurrency: 4, shardBytes: 1 << 20 },
    { concurrency: 3, shardBytes: 5_000 },
  ];
  const results = [];
  for (const r of runs) {
    const dir = await tempDir();
    await materialize(options(dir, r));
    await verifyDataset(dir);
    results.push(await readTickets(dir));
  }
  for (const rows of results.slice(1)) assert.deepEqual(rows, results[0]);
  const first = results[0][5];
  assert.deepEqual(first.positions, randomPolicy({ id: first.id, n: 16, k: 4, seed: 11 }).positions);
  assert.equal(first.patches.length, 4 * 8 * 8 * 3);
});

test('byte-identical output whatever the concurrency', async () => {
  const [a, b] = [await tempDir(), await tempDir()];
  await materialize(options(a, { concurrency: 1, shardBytes: 6_000 }));
  await materialize(options(b, { concurrency: 4, shardBytes: 6_000 }));
  const [sa, sb] = [await snapshot(a), await snapshot(b)];
  assert.deepEqual([...sa.keys()], [...sb.keys()]);
  for (const [name, bytes] of sa) assert.ok(bytes.equals(sb.get(name) as Buffer), name);
});

test('full tickets keep every patch in raster order with the source pixels', async () => {
  const dir = await tempDir();
  const r = await materialize(options(dir, { policy: 'full', keep: undefined }));
  assert.equal(r.manifest.meta.k, 16);
  const rows = await readTickets(dir);
  assert.deepEqual([...rows[0].positions], [...Array(16).keys()]);
  // Patch 0's first row equals the image's first 8 pixels.
  const src = await syntheticSource(23).load(0);
  assert.ok(src.kind === 'raw');
  assert.deepEqual([...rows[0].patches.subarray(0, 24)], [...src.image.data.subarray(0, 24)]);
});

test('failures are recorded in errors.jsonl and bounded by maxFailures', async () => {
  const dir = await tempDir();
  const source = syntheticSource(23, 32, new Set([3, 17]));
  await assert.rejects(materialize(options(dir, { source, maxFailures: 1 })), TooManyFailuresError);
  const lines = (await readFile(join(dir, 'errors.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; file: string; reason: string });
  assert.deepEqual(lines.map((l) => l.id), ['img-0003', 'img-0017']);
  assert.equal(lines[0].file, 'mem#3');
  assert.match(lines[0].reason, /synthetic decode failure/);
  const r = await materialize(options(dir, { source, maxFailures: 2 }));
  assert.equal(r.rows, 21);
  assert.equal(r.failures, 2);
});

test('an I/O fault mid-run leaves no manifest; the rerun reuses complete shards and matches a clean run', async () => {
  const clean = await tempDir();
  await materialize(options(clean, { shardBytes: 5_000 }));
  const dir = await tempDir();
  await assert.rejects(materialize(options(dir, { shardBytes: 5_000, fs: faultFs('ENOSPC', 40) })), IoError);
  const r = await materialize(options(dir, { shardBytes: 5_000, concurrency: 3 }));
  assert.ok(r.reused > 0);
  const [want, got] = [await snapshot(clean), await snapshot(dir)];
  assert.deepEqual([...got.keys()], [...want.keys()]);
  for (const [name, bytes] of want) assert.ok(bytes.equals(got.get(name) as Buffer), name);
});

test('workers i of N write slices whose rows, concatenated, are the single-process rows', async () => {
  const whole = await tempDir();
  await materialize(options(whole));
  const parts = [];
  for (let index = 0; index < 3; index++) {
    const r = await materialize(options(await tempDir(), { worker: { index, count: 3 }, batchSize: 2 }));
    parts.push(...(await readTickets(r.dir)));
  }
  assert.deepEqual(parts, await readTickets(whole));
});

test('policy ticket keeps the top-k of a score dataset, with its scores', async () => {
  const { createScoreWriter } = await import('../../src/shards/writer.js');
  const { makeMeta } = await import('../shards/helpers.js');
  const scoresDir = await tempDir();
  const source = syntheticSource(23);
  const base = makeMeta({ kind: 'scores' });
  // Scores of this very source (materialize refuses another source's scores unless told otherwise).
  const meta = { ...base, numClasses: 3, source: { ...base.source, fingerprint: source.fingerprint } };
  const w = await createScoreWriter({ dir: scoresDir, meta });
  for (let i = 0; i < source.size; i++) {
    const scores = Float32Array.from({ length: 16 }, (_, j) => ((j * 7 + i) % 16) / 16);
    const rank = Uint16Array.from([...Array(16).keys()].sort((a, b) => scores[b] - scores[a]));
    await w.write({ id: source.ref(i).id, label: i % 3, scores, rank });
  }
  await w.finalize();
  const dir = await tempDir();
  await materialize(options(dir, { source, policy: 'ticket', keep: 0.25, scores: scoresDir, concurrency: 4 }));
  await verifyDataset(dir);
  const rows = await readTickets(dir);
  const i = 5;
  const want = [...Array(16).keys()].filter((j) => ((j * 7 + i) % 16) / 16 >= 12 / 16).sort((a, b) => a - b);
  assert.deepEqual([...rows[i].positions], want);
  assert.ok(rows[i].scores.every((s) => s >= 0.75));
});
