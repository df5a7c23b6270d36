/**
 * Merge checks every part's rows against its slot: worker 1 of 2 over 23 rows covers slots
 * [12, 23) (shard pieces [12, 15), [15, 20), [20, 23)); a part whose shards hold more or fewer
 * rows than its slots less its recorded failures, or other or reordered ids, is refused with one
 * line naming the worker and its file, and nothing is written. (Such parts used to merge into a
 * dataset that verified.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runSharded, type SampleFailure } from '../../src/engine/run.js';
import type { WorkerSlot } from '../../src/engine/partition.js';
import { mergeRun, MergeRefusedError } from '../../src/pipeline/merge.js';
import { verifyDataset } from '../../src/shards/verify.js';
import type { TicketRow } from '../../src/shards/types.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { META, row, SHARD_BYTES, syntheticSource, tempDir, writeWorker } from './helpers.js';

const N = 23;

/** Sample i's rows as a faulty worker writes them, and whether it records i as failed. */
interface Behaviour {
  rows(i: number): TicketRow[];
  fails?(i: number): boolean;
}

async function writePart(dataset: string, slot: WorkerSlot, b: Behaviour): Promise<void> {
  await runSharded({
    label: 'test', source: syntheticSource(N), meta: META, createWriter: createTicketWriter, load: async (i) => i,
    process: async (batch, w) => {
      const failed: SampleFailure[] = [];
      for (const d of batch) {
        for (const r of b.rows(d.value)) await w.write(r);
        if (b.fails?.(d.value)) failed.push({ index: d.value, error: new Error('recorded failure') });
      }
      return failed;
    },
  }, { out: dataset, worker: slot, batchSize: 2, concurrency: 2, shardBytes: SHARD_BYTES, progress: false, maxFailures: N });
}

const withId = (i: number, id: string): TicketRow => ({ ...row(i), id });

const FAULTY: [string, Behaviour, RegExp][] = [
  ['a row missing', { rows: (i) => (i === 16 ? [] : [row(i)]) }, /shard-00003\.arrow: holds 4 rows; its slots \[15, 20\) less 0 recorded failure\(s\) make 5/],
  ['a row twice', { rows: (i) => (i === 21 ? [row(i), row(i)] : [row(i)]) }, /shard-00004\.arrow: holds 4 rows; its slots \[20, 23\) less 0 recorded failure\(s\) make 3/],
  ['a failure recorded for a row it kept', { rows: (i) => [row(i)], fails: (i) => i === 13 }, /shard-00002\.arrow: holds 3 rows; its slots \[12, 15\) less 1 recorded failure\(s\) make 2/],
  ['two rows swapped', { rows: (i) => [row(i === 17 ? 18 : i === 18 ? 17 : i)] }, /shard-00003\.arrow: slot 18 holds id "img-00017" after "img-00018": not in the source's order/],
  ['another range\'s rows', { rows: (i) => [row(i - 12)] }, /its first id "img-00000" does not follow worker 0's last id "img-00011"/],
];

test('merge refuses a part with more, fewer, reordered or other rows than its slot, naming it in one line, and writes nothing', async () => {
  for (const [what, behaviour, reason] of FAULTY) {
    const out = await tempDir('rows');
    const dataset = join(out, 'full', 'train');
    await writeWorker(dataset, N, { index: 0, count: 2 });
    await writePart(dataset, { index: 1, count: 2 }, behaviour);
    await assert.rejects(mergeRun({ out }), (err: unknown) => {
      assert.ok(err instanceof MergeRefusedError, `${what}: ${String(err)}`);
      assert.match(err.message, /full\/train: broken worker 1 of 2: /, what);
      assert.match(err.message, reason, what);
      assert.ok(!err.message.includes('\n'), `${what}: one line`);
      return true;
    });
    assert.deepEqual(await readdir(dataset), ['workers'], `${what}: nothing written beside workers/`);
  }
});

test('merge with the source: ids are checked slot by slot (an id in order but not the source\'s is refused); correct parts with recorded failures merge', async () => {
  const out = await tempDir('rows-source');
  const dataset = join(out, 'full', 'train');
  await writeWorker(dataset, N, { index: 0, count: 2 });
  await writePart(dataset, { index: 1, count: 2 }, { rows: (i) => [i === 19 ? withId(i, 'img-00019b') : row(i)] });
  const sources = (target: string) => (target === 'full/train' ? syntheticSource(N) : null);
  await assert.rejects(mergeRun({ out, sources }), /broken worker 1 of 2: .*shard-00003\.arrow: slot 19 holds id "img-00019b"; the source's slot 19 is "img-00019"/);
  assert.deepEqual(await readdir(dataset), ['workers']);
  await rm(join(dataset, 'workers', '1-of-2'), { recursive: true });
  await writePart(dataset, { index: 1, count: 2 }, { rows: (i) => (i === 19 || i === 22 ? [] : [row(i)]), fails: (i) => i === 19 || i === 22 });
  const merged = await mergeRun({ out, sources });
  assert.deepEqual(merged.datasets.map((d) => [d.dir, d.rows]), [['full/train', N - 2]]);
  assert.equal((await verifyDataset(dataset)).rows, N - 2);
});
