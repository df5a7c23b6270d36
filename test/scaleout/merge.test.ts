import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mergeRun, MergeRefusedError } from '../../src/pipeline/merge.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { readAll, tempDir, writeAllWorkers, writeDataset, writeWorker } from './helpers.js';
import type { MergeProblem } from '../../src/pipeline/merge.js';

const N_ROWS = 23;

/** Every file of a dataset directory (workers/ and hidden files excluded), name → bytes. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).filter((n) => n !== 'workers' && !n.startsWith('.')).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as [string, Buffer])));
}

test('merge: N worker parts give the single run byte for byte (shards, manifest, errors), pass verify, and are idempotent', async () => {
  const root = await tempDir('merge');
  const single = join(root, 'single', 'full', 'train');
  await writeDataset(single, N_ROWS, null);
  // 13 workers for 12 batches of 2 rows: one worker's range is empty.
  for (const count of [1, 2, 3, 5, 13]) {
    const out = join(root, `w${count}`);
    await writeAllWorkers(join(out, 'full', 'train'), N_ROWS, count);
    await writeAllWorkers(join(out, 'full@0.5', 'test'), 7, count);
    const result = await mergeRun({ out });
    assert.deepEqual(result.datasets.map((d) => [d.dir, d.workers, d.rows, d.status]), [
      ['full/train', count, N_ROWS, 'merged'],
      ['full@0.5/test', count, 7, 'merged'],
    ]);
    const merged = join(out, 'full', 'train');
    assert.deepEqual(await readAll(merged), await readAll(single), `content with ${count} workers`);
    assert.deepEqual(await files(merged), await files(single), `bytes with ${count} workers`);
    assert.equal((await verifyDataset(merged)).rows, N_ROWS);
    const again = await mergeRun({ out });
    assert.deepEqual(again.datasets.map((d) => d.status), ['up-to-date', 'up-to-date']);
  }
  await rm(root, { recursive: true, force: true });
});

test('merge: refuses an incomplete set, naming the missing and broken workers, and writes nothing', async () => {
  const out = await tempDir('refuse');
  const dataset = join(out, 'random@0.5', 'train');
  await writeWorker(dataset, N_ROWS, { index: 0, count: 4 });
  await writeWorker(dataset, N_ROWS, { index: 2, count: 4 });
  await writeWorker(dataset, N_ROWS, { index: 3, count: 4 });
  await mkdir(join(dataset, 'workers', '1-of-4'), { recursive: true }); // started, never finished
  const part3 = join(dataset, 'workers', '3-of-4');
  const shard = join(part3, (await readdir(part3)).filter((n) => n.endsWith('.arrow')).sort()[0] as string);
  const bytes = await readFile(shard);
  bytes[bytes.length - 20] ^= 1;
  await writeFile(shard, bytes);
  await assert.rejects(mergeRun({ out }), (err: unknown) => {
    assert.ok(err instanceof MergeRefusedError);
    assert.deepEqual((err.problems as MergeProblem[]).map((p) => [p.target, p.missing, p.broken.map((b) => b.index)]), [['random@0.5/train', [1], [3]]]);
    assert.match(err.message, /missing worker 1 of 4/);
    assert.match(err.message, /broken worker 3 of 4: a shard's size or sha256 differs from its manifest/);
    return true;
  });
  assert.deepEqual((await readdir(dataset)).sort(), ['workers'], 'nothing written beside workers/');
  await rm(out, { recursive: true, force: true });
});

test('merge: refuses parts of different worker counts', async () => {
  const out = await tempDir('mixed');
  const dataset = join(out, 'full', 'train');
  await writeWorker(dataset, N_ROWS, { index: 0, count: 2 });
  await writeWorker(dataset, N_ROWS, { index: 0, count: 3 });
  await assert.rejects(mergeRun({ out }), /different worker counts \(2, 3\)/);
  await rm(out, { recursive: true, force: true });
});

test('merge: a rerun repairs a merge interrupted half-way (manifest missing, shards stale or absent)', async () => {
  const out = await tempDir('crash');
  const dataset = join(out, 'full', 'train');
  await writeAllWorkers(dataset, N_ROWS, 3);
  await mergeRun({ out });
  const expected = await readAll(dataset);
  const manifest = await readFile(join(dataset, 'manifest.json'), 'utf8');
  // A crash after some shards were placed and before the manifest: simulate every kind of leftover.
  await rm(join(dataset, 'manifest.json'));
  await rm(join(dataset, 'shard-00001.arrow'));
  // (Unlink first: the merged shards are hard links, writing into one in place would change the worker part.)
  await rm(join(dataset, 'shard-00002.arrow'));
  await writeFile(join(dataset, 'shard-00002.arrow'), 'stale bytes of an earlier layout');
  await writeFile(join(dataset, 'shard-00099.arrow'), 'stray');
  await writeFile(join(dataset, '.shard-00003.arrow.tmp-12345'), 'temp');
  const result = await mergeRun({ out });
  assert.equal(result.datasets[0]?.status, 'merged');
  assert.equal(await readFile(join(dataset, 'manifest.json'), 'utf8'), manifest, 'same manifest bytes');
  assert.deepEqual(await readAll(dataset), expected);
  const names = await readdir(dataset);
  assert.ok(!names.includes('shard-00099.arrow') && !names.some((n) => n.includes('.tmp-')), names.join(' '));
  const [a, b] = await Promise.all([stat(join(dataset, 'shard-00000.arrow')), stat(join(dataset, 'workers', '0-of-3', 'shard-00000.arrow'))]);
  assert.equal(a.ino, b.ino, 'shards are hard links to the worker parts');
  await rm(out, { recursive: true, force: true });
});

test('merge: --prune removes the worker parts; the dataset stays valid; a rerun says there is nothing to merge', async () => {
  const out = await tempDir('prune');
  const dataset = join(out, 'full', 'train');
  await writeAllWorkers(dataset, N_ROWS, 2);
  await mergeRun({ out, prune: true });
  assert.ok(!(await readdir(dataset)).includes('workers'));
  assert.equal((await verifyDataset(dataset)).rows, N_ROWS);
  await assert.rejects(mergeRun({ out }), /no worker parts found/);
  await rm(out, { recursive: true, force: true });
});

test('merge: stage markers: all N agree → the stage marker; a missing worker marker is refused', async () => {
  const out = await tempDir('markers');
  const stages = join(out, '.dlth', 'stages');
  await mkdir(stages, { recursive: true });
  const marker = (i: number, fp = 'sha256:aaaa') => ({
    name: 'full', kind: 'materialize', fingerprint: fp, outputs: [`full/train/workers/${i}-of-3`, 'full/test'], summary: { 'full/train': { rows: 10 + i, shards: 2, k: 49 }, policy: 'full' },
  });
  for (const i of [0, 2]) await writeFile(join(stages, `full.worker-${i}-of-3.json`), JSON.stringify(marker(i)));
  await assert.rejects(mergeRun({ out }), /stage "full": missing worker 1 of 3/);
  await writeFile(join(stages, 'full.worker-1-of-3.json'), JSON.stringify(marker(1, 'sha256:bbbb')));
  await assert.rejects(mergeRun({ out }), /different configurations/);
  await writeFile(join(stages, 'full.worker-1-of-3.json'), JSON.stringify(marker(1)));
  assert.deepEqual((await mergeRun({ out })).stages, ['full']);
  const record = JSON.parse(await readFile(join(stages, 'full.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(record, {
    name: 'full', kind: 'materialize', fingerprint: 'sha256:aaaa', outputs: ['full/train', 'full/test'], summary: { 'full/train': { rows: 33, shards: 6, k: 49 }, policy: 'full', workers: 3 },
  });
  await rm(out, { recursive: true, force: true });
});

test('merge: refuses a worker part that is a symbolic link (it could point outside the run directory), and a workers/ link', async () => {
  const out = await tempDir('symlink');
  const elsewhere = await tempDir('elsewhere');
  const dataset = join(out, 'full', 'train');
  await writeAllWorkers(dataset, N_ROWS, 2);
  await writeWorker(join(elsewhere, 'x'), N_ROWS, { index: 1, count: 2 });
  await rm(join(dataset, 'workers', '1-of-2'), { recursive: true });
  await symlink(join(elsewhere, 'x', 'workers', '1-of-2'), join(dataset, 'workers', '1-of-2'));
  await assert.rejects(mergeRun({ out }), /broken worker 1 of 2: .*is a symbolic link/);
  assert.ok(!(await readdir(dataset)).includes('manifest.json'));
  const other = join(out, 'random', 'train');
  await mkdir(other, { recursive: true });
  await symlink(join(elsewhere, 'x', 'workers'), join(other, 'workers'));
  await assert.rejects(mergeRun({ out }), /workers is a symbolic link/);
  await rm(out, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
});
