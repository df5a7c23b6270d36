import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ascending, combineStages, evitFromMaps, orderByScore, selectStage, singleStage, topK } from '../../src/scoring/select.js';
import { evitKeepCount, evitKeepCounts } from '../../src/model/evit-counts.js';

/** A tiny deterministic PRNG for property tests. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function isPermutation(a: Uint16Array, n: number): boolean {
  return a.length === n && new Set(a).size === n && a.every((x) => x < n);
}

test('EViT ticket sizes for 196 patches match the official ceil(r·n) chain', () => {
  assert.deepEqual(evitKeepCounts(196, 0.9, 3), [177, 160, 144]);
  assert.deepEqual(evitKeepCounts(196, 0.8, 3), [157, 126, 101]);
  assert.deepEqual(evitKeepCounts(196, 0.7, 3), [138, 97, 68]);
  assert.deepEqual(evitKeepCounts(49, 0.7, 3), [35, 25, 18]);
  assert.equal(evitKeepCount(1, 0.1), 1);
  assert.equal(evitKeepCount(10, 1), 10);
  assert.throws(() => evitKeepCount(10, 0), /keep rate/);
  assert.throws(() => evitKeepCount(10, 1.5), /keep rate/);
});

test('orderByScore: higher first, ties and NaN by lower raster index', () => {
  assert.deepEqual([...orderByScore([0.1, 0.5, 0.5, NaN, 0.3])], [1, 2, 4, 0, 3]);
  // raster indices decide ties, not the sequence position
  assert.deepEqual([...orderByScore([0.2, 0.2, 0.2], [9, 3, 5])], [1, 2, 0]);
  assert.deepEqual([...topK([3, 1, 2, 3], 2)], [0, 3]);
  assert.throws(() => topK([1, 2], 3), /outside/);
});

test('selectStage keeps the best and reports sequence-local indices', () => {
  const st = selectStage([7, 2, 9, 4], [0.1, 0.4, 0.3, 0.2], 2);
  assert.deepEqual([...st.order], [2, 9, 4, 7]);
  assert.deepEqual([...st.local], [1, 2, 3, 0]);
  assert.deepEqual([...st.scores], [0.4, 0.3, 0.2, 0.1].map(Math.fround));
  assert.equal(st.kept, 2);
});

test('hierarchical EViT on a hand-built 3×3 map: sizes, ticket, rank and scores', () => {
  // 9 patches, rate 0.7: 9 → 7 → 5 → 4
  const m0 = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.05, 0.5];
  // stage 1 ranks survivors differently; patches 1 and 7 (dropped at stage 0) get high values that must be ignored
  const m1 = [0.1, 1.0, 0.2, 0.3, 0.9, 0.4, 0.8, 1.0, 0.7];
  const m2 = [0.5, 0, 0.4, 0, 0.1, 0, 0.3, 0, 0.2];
  const sel = evitFromMaps([m0, m1, m2], 0.7);
  // stage 0 keeps 7 of 9: drops 7 (0.05) then 1 (0.1): dropped order by score is [1, 7]
  // stage 1 keeps 5 of 7 {0,2,3,4,5,6,8}: by m1 → 4 .9, 6 .8, 8 .7, 5 .4, 3 .3, 2 .2, 0 .1 → drops [2, 0]
  // stage 2 keeps 4 of 5 {4,6,8,5,3}: by m2 → 6 .3, 8 .2, 4 .1, 3 0, 5 0 (tie: lower raster first) → drops [5]
  assert.equal(sel.survivors, 4);
  assert.deepEqual([...sel.rank], [6, 8, 4, 3, 5, 2, 0, 1, 7]);
  const expectScores = [0.1, 0.1, 0.2, 0, 0.1, 0, 0.3, 0.05, 0.2].map(Math.fround);
  assert.deepEqual([...sel.scores], expectScores);
  assert.deepEqual([...ascending(sel.rank.slice(0, 4), sel.scores).positions], [3, 4, 6, 8]);
});

test('EViT on random maps: rank is a permutation whose prefix is exactly the survivors', () => {
  const next = rng(7);
  for (const rate of [0.9, 0.8, 0.7, 0.5]) {
    const maps = Array.from({ length: 3 }, () => Array.from({ length: 196 }, () => Math.round(next() * 50) / 50));
    const sel = evitFromMaps(maps, rate);
    assert.ok(isPermutation(sel.rank, 196));
    assert.equal(sel.survivors, evitKeepCounts(196, rate, 3)[2]);
    // survivors: by the last stage's score, descending
    const last = Array.from(sel.rank.slice(0, sel.survivors), (p) => maps[2][p]);
    for (let i = 1; i < last.length; i++) assert.ok(last[i - 1] >= last[i]);
    // every survivor beats every patch dropped at stage 0 on the stage-0 map
    const dropped0 = sel.rank.slice(evitKeepCounts(196, rate, 3)[0]);
    const minKept0 = Math.min(...Array.from(sel.rank.slice(0, evitKeepCounts(196, rate, 3)[0]), (p) => maps[0][p]));
    for (const p of dropped0) assert.ok(maps[0][p] <= minKept0);
    // deterministic
    assert.deepEqual(evitFromMaps(maps, rate), sel);
  }
});

test('combineStages checks stage consistency; singleStage ranks everything', () => {
  const a = selectStage([0, 1, 2], [0.3, 0.2, 0.1], 2);
  const b = selectStage([0, 1, 2], [0.3, 0.2, 0.1], 2);
  assert.throws(() => combineStages([a, b], 3), /stage 1 has 3 tokens/);
  const s = singleStage([0.2, 0.5, 0.1]);
  assert.deepEqual([...s.rank], [1, 0, 2]);
  assert.equal(s.survivors, 3);
});
