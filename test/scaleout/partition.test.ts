import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkerDirName, partitionRange, sliceSource, workerDatasetDir, workerDirName } from '../../src/pipeline/partition.js';
import type { Source } from '../../src/sources/types.js';

/** The invariants every partition must hold, for one (n, N). */
function checkPartition(n: number, count: number): void {
  const ranges = Array.from({ length: count }, (_, index) => partitionRange(n, { index, count }));
  assert.equal(ranges[0]?.start, 0, 'covering: starts at 0');
  assert.equal(ranges[count - 1]?.end, n, 'covering: ends at n');
  for (let i = 1; i < count; i++) assert.equal(ranges[i]?.start, ranges[i - 1]?.end, `contiguous and disjoint at worker ${i}`);
  const sizes = ranges.map((r) => r.end - r.start);
  assert.ok(sizes.every((s) => s >= 0));
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced ±1 for n=${n} N=${count}: ${sizes.join(',')}`);
  assert.equal(sizes.reduce((a, b) => a + b, 0), n);
}

test('partition: disjoint, covering, contiguous, balanced ±1 for many (n, N)', () => {
  for (let n = 0; n <= 60; n++) for (let count = 1; count <= 13; count++) checkPartition(n, count);
  for (const [n, count] of [[1_281_167, 64], [4000, 3], [2 ** 40 + 7, 1000], [5, 8]] as const) checkPartition(n, count);
});

test('partition: stable (a pure function of n, i, N) and the documented formula', () => {
  for (let i = 0; i < 7; i++) {
    const r = partitionRange(1000, { index: i, count: 7 });
    assert.deepEqual(r, partitionRange(1000, { index: i, count: 7 }));
    assert.deepEqual(r, { start: Math.floor((i * 1000) / 7), end: Math.floor(((i + 1) * 1000) / 7) });
  }
  assert.deepEqual(partitionRange(4000, { index: 1, count: 3 }), { start: 1333, end: 2666 });
});

test('partition: no worker means everything; bad slots are refused', () => {
  assert.deepEqual(partitionRange(17, null), { start: 0, end: 17 });
  assert.throws(() => partitionRange(10, { index: 3, count: 3 }), /not a valid slot/);
  assert.throws(() => partitionRange(10, { index: -1, count: 3 }), /not a valid slot/);
  assert.throws(() => partitionRange(-1, null), /non-negative/);
});

test('partition: worker directory names round-trip', () => {
  assert.equal(workerDirName({ index: 2, count: 3 }), '2-of-3');
  assert.deepEqual(parseWorkerDirName('2-of-3'), { index: 2, count: 3 });
  for (const bad of ['3-of-3', '01-of-3', '1-of-0', 'x-of-3', '1of3', '1-of-3.tmp']) assert.equal(parseWorkerDirName(bad), null, bad);
  assert.equal(workerDatasetDir('/o/full/train', { index: 0, count: 2 }), '/o/full/train/workers/0-of-2');
  assert.equal(workerDatasetDir('/o/full/train', null), '/o/full/train');
});

test('partition: sliceSource gives each worker its rows, re-indexed, with the whole source fingerprint', async () => {
  const ids = Array.from({ length: 10 }, (_, i) => `id-${i}`);
  const source: Source = {
    kind: 'list', classes: null, fingerprint: 'sha256:whole', size: ids.length,
    ref: (i) => ({ id: ids[i] as string, label: i % 3, location: `list#${i}` }),
    load: async (i) => ({ kind: 'raw', file: `list#${i}`, image: { width: 1, height: 1, channels: 1, data: Uint8Array.of(i) } }),
  };
  const seen: string[] = [];
  for (let index = 0; index < 3; index++) {
    const part = sliceSource(source, { index, count: 3 });
    assert.equal(part.fingerprint, 'sha256:whole');
    for (let i = 0; i < part.size; i++) seen.push(part.ref(i).id);
    assert.throws(() => part.ref(part.size), /outside worker/);
  }
  assert.deepEqual(seen, ids, 'the parts in worker order are the source in order');
  const last = sliceSource(source, { index: 2, count: 3 });
  const payload = await last.load(0);
  assert.equal(payload.kind === 'raw' ? payload.image.data[0] : -1, 6);
  assert.equal(sliceSource(source, null), source);
});
