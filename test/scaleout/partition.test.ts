import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkerDirName, withoutWorkerDir, workerDatasetDir, workerDirName } from '../../src/engine/part.js';
import { batchesOf, shardPiece, shardsOf, workerRange } from '../../src/engine/partition.js';

/** The invariants every partition must hold, for one (n, N, batch). */
function checkPartition(n: number, count: number, align: number): void {
  const ranges = Array.from({ length: count }, (_, index) => workerRange(n, { index, count }, align));
  assert.equal(ranges[0]?.start, 0, 'covering: starts at 0');
  assert.equal(ranges[count - 1]?.end, n, 'covering: ends at n');
  for (let i = 1; i < count; i++) assert.equal(ranges[i]?.start, ranges[i - 1]?.end, `contiguous and disjoint at worker ${i}`);
  for (const r of ranges) assert.ok(r.start % align === 0 || r.start === n, `worker ranges start on the batch grid: ${r.start} (batch ${align})`);
  const sizes = ranges.map((r) => r.end - r.start);
  assert.ok(sizes.every((s) => s >= 0));
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= align, `balanced within one batch for n=${n} N=${count} B=${align}: ${sizes.join(',')}`);
  assert.equal(sizes.reduce((a, b) => a + b, 0), n);
}

test('partition: disjoint, covering, contiguous, on the batch grid, balanced within a batch, for many (n, N, B)', () => {
  for (const n of [0, 1, 2, 7, 31, 32, 33, 100, 307, 1000]) {
    for (const count of [1, 2, 3, 5, 7, 16]) for (const align of [1, 4, 32]) checkPartition(n, count, align);
  }
});

test('partition: a pure function of (n, i, N, B), the documented formula; no worker means everything; bad slots refused', () => {
  for (let i = 0; i < 7; i++) assert.deepEqual(workerRange(1000, { index: i, count: 7 }, 8), workerRange(1000, { index: i, count: 7 }, 8));
  // 4000 rows in 125 batches of 32: worker 1 of 3 owns batches [41, 83).
  assert.deepEqual(workerRange(4000, { index: 1, count: 3 }, 32), { start: 41 * 32, end: 83 * 32 });
  assert.deepEqual(workerRange(4000, { index: 1, count: 3 }), { start: 1333, end: 2666 });
  assert.deepEqual(workerRange(17, null, 4), { start: 0, end: 17 });
  assert.throws(() => workerRange(10, { index: 3, count: 3 }), /not a valid slot/);
  assert.throws(() => workerRange(10, { index: -1, count: 3 }), /not a valid slot/);
  assert.throws(() => workerRange(-1, null), /non-negative/);
  assert.throws(() => workerRange(10, null, 0), /batch size/);
});

test('partition: shard pieces and batches sit on global grids, whatever the worker range', () => {
  const R = 10;
  assert.deepEqual(shardsOf({ start: 8, end: 31 }, R), [0, 1, 2, 3]);
  assert.deepEqual(shardsOf({ start: 8, end: 8 }, R), []);
  assert.deepEqual(shardPiece(1, R, 35, { start: 8, end: 31 }), { start: 10, end: 20 });
  assert.deepEqual(shardPiece(3, R, 35, { start: 8, end: 31 }), { start: 30, end: 31 });
  assert.equal(shardPiece(4, R, 35, { start: 8, end: 31 }), null);
  // Batches of 4 over slots [10, 20): cut at multiples of 4, not at the piece start.
  assert.deepEqual([...batchesOf({ start: 10, end: 20 }, 4)], [{ start: 10, end: 12 }, { start: 12, end: 16 }, { start: 16, end: 20 }]);
  // The batches of any split are the batches of the whole, cut at shard boundaries only.
  const whole = [0, 1, 2, 3].flatMap((j) => [...batchesOf(shardPiece(j, R, 35, { start: 0, end: 35 }) ?? { start: 0, end: 0 }, 4)]);
  for (const count of [2, 3, 5]) {
    const split = Array.from({ length: count }, (_, index) => workerRange(35, { index, count }, 4))
      .flatMap((r) => shardsOf(r, R).flatMap((j) => [...batchesOf(shardPiece(j, R, 35, r) ?? r, 4)]));
    assert.deepEqual(split, whole, `${count} workers`);
  }
});

test('partition: worker directory names round-trip', () => {
  assert.equal(workerDirName({ index: 2, count: 3 }), '2-of-3');
  assert.deepEqual(parseWorkerDirName('2-of-3'), { index: 2, count: 3 });
  for (const bad of ['3-of-3', '01-of-3', '1-of-0', 'x-of-3', '1of3', '1-of-3.tmp']) assert.equal(parseWorkerDirName(bad), null, bad);
  assert.equal(workerDatasetDir('/o/full/train', { index: 0, count: 2 }), '/o/full/train/workers/0-of-2');
  assert.equal(workerDatasetDir('/o/full/train', null), '/o/full/train');
  for (const slot of [{ index: 0, count: 2 }, { index: 11, count: 12 }]) assert.equal(withoutWorkerDir(workerDatasetDir('datasets/full/train', slot)), 'datasets/full/train');
  assert.equal(withoutWorkerDir('scores/evit/workers/1-of-2/manifest.json'), 'scores/evit/manifest.json');
  assert.equal(withoutWorkerDir('datasets/workers-of-2/train'), 'datasets/workers-of-2/train');
});
