import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partition, PARTITION_NAMES, rankSequence } from '../../src/loader/partition.js';
import { shuffles } from '../../src/loader/shuffle/index.js';

function sequences(mode: string, n: number, world: number): Uint32Array[] {
  const order = shuffles.block([n], 11, 2, { block: 16 });
  return Array.from({ length: world }, (_, r) => rankSequence(order, partition(mode, n, world, r)));
}

for (const n of [0, 1, 5, 64, 101]) {
  for (const world of [1, 2, 3, 8]) {
    test(`partition n=${n} world=${world}: modes keep their promises`, () => {
      for (const mode of PARTITION_NAMES) {
        const seqs = sequences(mode, n, world);
        const lengths = seqs.map((s) => s.length);
        const all = seqs.flatMap((s) => [...s]);
        const distinct = new Set(all);
        if (mode === 'exact') {
          assert.equal(all.length, n, 'exact: every sample once');
          assert.equal(distinct.size, n, 'exact: disjoint');
          assert.ok(Math.max(...lengths) - Math.min(...lengths) <= 1);
        }
        if (mode === 'drop') {
          assert.ok(lengths.every((l) => l === Math.floor(n / world)), `drop lengths ${lengths}`);
          assert.equal(distinct.size, all.length, 'drop: disjoint');
          assert.equal(n - all.length, n % world, 'drop: drops n mod world');
        }
        if (mode === 'pad') {
          assert.ok(lengths.every((l) => l === Math.ceil(n / world)), `pad lengths ${lengths}`);
          assert.equal(distinct.size, n, 'pad: covers the epoch');
          // The slices proper are disjoint and cover the epoch; a rank's padding repeats its own tail.
          const slices = seqs.map((s, r) => {
            const part = partition(mode, n, world, r);
            assert.ok(part.pad <= 1);
            const own = s.subarray(0, part.end - part.start);
            if (own.length > 0) for (const g of s.subarray(own.length)) assert.ok(own.includes(g), 'padding outside the slice');
            return [...own];
          });
          assert.equal(new Set(slices.flat()).size, n);
          assert.equal(slices.flat().length, n);
        }
      }
    });
  }
}

test('partition rejects bad ranks and modes', () => {
  assert.throws(() => partition('pad', 10, 2, 2), /rank must be an integer in \[0, 2\)/);
  assert.throws(() => partition('pad', 10, 0, 0), /world size/);
  assert.throws(() => partition('round-robin', 10, 2, 0), /unknown partition "round-robin"/);
});
