import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHUFFLE_NAMES, shuffles, type ShuffleFn, type ShuffleParams } from '../../src/loader/shuffle/index.js';

function isPermutation(order: Uint32Array, n: number): boolean {
  if (order.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const x of order) {
    if (x >= n || seen[x]) return false;
    seen[x] = 1;
  }
  return true;
}

/** The invariants every shuffle algorithm must keep (applied to each registered one). */
function checkShuffle(name: string, fn: ShuffleFn, shardRows: number[], params: ShuffleParams): void {
  const n = shardRows.reduce((a, b) => a + b, 0);
  // One shard and windows of one sample leave nothing to shuffle.
  const fixed = name === 'none' || n <= 8 || (params.block === 1 && name === 'block' && shardRows.length === 1);
  for (const seed of [0, 1, 2 ** 40 + 7]) {
    const orders = [0, 1, 2].map((epoch) => fn(shardRows, seed, epoch, params));
    orders.forEach((o, epoch) => assert.ok(isPermutation(o, n), `${name} seed ${seed} epoch ${epoch}: not a permutation of ${n}`));
    assert.deepEqual(fn(shardRows, seed, 1, params), orders[1], `${name}: same inputs must give the same order`);
    if (!fixed) {
      assert.notDeepEqual(orders[0], orders[1], `${name} seed ${seed}: epochs 0 and 1 give the same order`);
      assert.notDeepEqual(orders[1], orders[2], `${name} seed ${seed}: epochs 1 and 2 give the same order`);
    }
  }
  if (!fixed) {
    assert.notDeepEqual(fn(shardRows, 1, 0, params), fn(shardRows, 2, 0, params), `${name}: seeds 1 and 2 give the same order`);
  }
}

const layouts: Array<[string, number[]]> = [
  ['even shards', [50, 50, 50, 50]],
  ['uneven shards', [37, 100, 1, 64, 0, 13]],
  ['one shard', [200]],
  ['tiny', [1, 1]],
  ['empty', []],
];

for (const name of SHUFFLE_NAMES) {
  for (const [what, rows] of layouts) {
    for (const block of [1, 7, 64, 100_000]) {
      test(`shuffle ${name}: ${what}, block ${block}: permutation, deterministic, differs per epoch`, () => {
        checkShuffle(name, shuffles[name], rows, { block });
      });
    }
  }
}

test('shuffle none keeps the stored order', () => {
  assert.deepEqual([...shuffles.none([2, 3], 9, 4, { block: 4 })], [0, 1, 2, 3, 4]);
});

test('shuffle shard keeps each shard contiguous', () => {
  const order = shuffles.shard([10, 10, 10], 3, 0, { block: 1 });
  for (let i = 0; i < 30; i += 10) {
    const shards = new Set([...order.subarray(i, i + 10)].map((g) => Math.floor(g / 10)));
    assert.equal(shards.size, 1);
  }
});

test('shuffle block: a window of B positions touches at most ⌈B/R⌉ + 1 shards', () => {
  const rows = Array.from({ length: 40 }, () => 25);
  const block = 60;
  const order = shuffles.block(rows, 5, 3, { block });
  for (let i = 0; i + block <= order.length; i += 13) {
    const shards = new Set([...order.subarray(i, i + block)].map((g) => Math.floor(g / 25)));
    assert.ok(shards.size <= 2 * (Math.ceil(block / 25) + 1), `window at ${i} spans ${shards.size} shards`);
  }
});

test('shuffle block ≥ N is a full shuffle that mixes all shards', () => {
  const order = shuffles.block([100, 100], 1, 0, { block: 1 << 20 });
  const firstHalfFromShard1 = [...order.subarray(0, 100)].filter((g) => g >= 100).length;
  assert.ok(firstHalfFromShard1 > 20 && firstHalfFromShard1 < 80, `${firstHalfFromShard1}`);
});
