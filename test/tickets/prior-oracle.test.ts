/**
 * Policies prior and oracle: the centre and learned positional prior, the oracle's object patches
 * filled with seeded random ones, and `dlth materialize --masks / --prior-masks` on a soup dataset
 * (rows, metadata, verify), with the refusals of masks that do not fit the source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPolicy, oraclePolicy, priorPolicy, priorRank } from '../../src/tickets/policies/index.js';
import { objectPositions, patchCover, positionFrequency } from '../../src/masks/cover.js';
import { maskAt, readMasks } from '../../src/masks/read.js';
import { openDataset } from '../../src/shards/reader.js';
import { ticketRows } from '../../src/shards/rows.js';
import { makeCluttered } from '../../src/synth/cluttered.js';
import { encodeIdxGz } from '../../src/synth/idx-write.js';

test('prior without masks: the k positions nearest the grid centre, ties by position; scores NaN; no seed', () => {
  assert.deepEqual([...priorRank(7, 7).slice(0, 5)], [24, 17, 23, 25, 31]);
  assert.deepEqual([...priorRank(4, 4).slice(0, 4)], [5, 6, 9, 10]);
  const s = priorPolicy({ id: 'a', n: 49, k: 9, seed: 0, grid: [7, 7] });
  assert.deepEqual([...s.positions], [16, 17, 18, 23, 24, 25, 30, 31, 32]);
  assert.ok(s.scores.every(Number.isNaN));
  assert.deepEqual(priorPolicy({ id: 'b', n: 49, k: 9, seed: 5 }).positions, s.positions);
  assert.equal(getPolicy('prior').seeded, false);
});

test('prior with a frequency: the most frequent positions, ties by centre distance', () => {
  const f = new Float64Array(16);
  f[0] = 0.9;
  f[15] = 0.9;
  f[3] = 0.5;
  assert.deepEqual([...priorRank(4, 4, f).slice(0, 5)], [0, 15, 3, 5, 6]);
  assert.deepEqual([...priorPolicy({ id: 'x', n: 16, k: 3, seed: 0, grid: [4, 4], prior: f }).positions], [0, 3, 15]);
  assert.throws(() => priorRank(4, 4, new Float64Array(9)), /frequency of 9 positions for a 4×4 grid/);
});

test('oracle: every object patch, filled to k with random others (seeded by (seed, id)); the k most covered when the object is larger', () => {
  const cover = new Float32Array(49);
  for (const j of [8, 9, 10, 15, 16, 17]) cover[j] = 1;
  cover[30] = 0.4; // under a half: not object
  const at = (id: string, seed: number, k: number): number[] => [...oraclePolicy({ id, n: 49, k, seed, cover }).positions];
  const a = at('s/1', 0, 10);
  assert.equal(a.length, 10);
  assert.ok([8, 9, 10, 15, 16, 17].every((j) => a.includes(j)));
  assert.deepEqual(at('s/1', 0, 10), a);
  assert.notDeepEqual(at('s/1', 1, 10), a);
  assert.notDeepEqual(at('s/2', 0, 10), a);
  // fill is uniform over the non-object patches (30 included)
  const hits = new Array<number>(49).fill(0);
  for (let i = 0; i < 3000; i++) for (const j of at(`s/${i}`, 0, 7)) hits[j]++;
  assert.ok(hits.every((h, j) => ([8, 9, 10, 15, 16, 17].includes(j) ? h === 3000 : Math.abs(h - 3000 / 43) < 30)), `${hits}`);
  // an object larger than k: its most covered patches
  const big = Float32Array.from({ length: 49 }, (_, j) => (j < 20 ? 0.5 + j / 100 : 0));
  assert.deepEqual([...oraclePolicy({ id: 'x', n: 49, k: 4, seed: 0, cover: big }).positions], [16, 17, 18, 19]);
  assert.ok(oraclePolicy({ id: 'x', n: 49, k: 4, seed: 0, cover }).scores.every(Number.isNaN));
  assert.throws(() => oraclePolicy({ id: 'x', n: 49, k: 4, seed: 0 }), /policy oracle: sample "x" has no object mask/);
  assert.equal(getPolicy('oracle').seeded, true);
});

const CLASSES = 'T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot';

function materialize(data: string, split: string, out: string, ...args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['bin/dlth.js', 'materialize', '--source', 'idx', '--root', data, '--split', split, '--classes', CLASSES,
    '--image-size', '49', '--patch-size', '7', '--channels', '1', '--resize', 'none', '-o', out, '-q', ...args], { encoding: 'utf8' });
}

async function soup(): Promise<string> {
  const data = mkdtempSync(join(tmpdir(), 'dlth-soup-data-'));
  await makeCluttered({ background: 'soup', fashion: 'data/fashion-mnist-mini', out: data, seed: 1, count: 48, testCount: 24 });
  return data;
}

test('dlth materialize --policy oracle --masks / prior --prior-masks on soup data: rows, metadata, verify', async () => {
  const data = await soup();
  const out = mkdtempSync(join(tmpdir(), 'dlth-oracle-'));
  const masks = join(data, 't10k-masks-idx3-ubyte.gz');
  let r = materialize(data, 'test', join(out, 'oracle'), '--policy', 'oracle', '--k', '18', '--seed', '3', '--masks', masks);
  assert.equal(r.status, 0, String(r.stderr));
  const set = await readMasks(masks);
  const ds = await openDataset(join(out, 'oracle'));
  assert.deepEqual([ds.meta.policy, ds.meta.k, ds.meta.seed], ['oracle', 18, 3]);
  assert.deepEqual(ds.meta.policyParams, { masks: { file: 't10k-masks-idx3-ubyte.gz', count: 24, size: [49, 49], sha256: set.sha256 }, objectAt: 0.5 });
  let i = 0;
  for await (const row of ticketRows(ds)) {
    assert.equal(row.id, `test/${String(i).padStart(5, '0')}`);
    const obj = objectPositions(patchCover(maskAt(set, i), 49, 49, 7));
    assert.ok(obj.length >= 9 && obj.length <= 16);
    assert.ok(obj.every((j) => row.positions.includes(j)), `row ${i}`);
    i++;
  }
  assert.equal(i, 24);
  execFileSync(process.execPath, ['bin/dlth.js', 'verify', join(out, 'oracle')], { stdio: 'pipe' });

  const train = join(data, 'train-masks-idx3-ubyte.gz');
  r = materialize(data, 'test', join(out, 'prior'), '--policy', 'prior', '--k', '18', '--prior-masks', train);
  assert.equal(r.status, 0, String(r.stderr));
  const prior = await openDataset(join(out, 'prior'));
  const want = [...priorRank(7, 7, positionFrequency(await readMasks(train), 7)).slice(0, 18)].sort((a, b) => a - b);
  assert.deepEqual([prior.meta.policy, prior.meta.seed, prior.meta.policyParams?.prior, prior.meta.policyParams?.masks?.count], ['prior', null, 'masks', 48]);
  for await (const row of ticketRows(prior)) assert.deepEqual([...row.positions], want);
  r = materialize(data, 'test', join(out, 'centre'), '--policy', 'prior', '--k', '9');
  assert.equal(r.status, 0, String(r.stderr));
  const centre = await openDataset(join(out, 'centre'));
  assert.deepEqual(centre.meta.policyParams, { prior: 'centre' });
  for await (const row of ticketRows(centre)) assert.deepEqual([...row.positions], [16, 17, 18, 23, 24, 25, 30, 31, 32]);
  execFileSync(process.execPath, ['bin/dlth.js', 'verify', join(out, 'prior')], { stdio: 'pipe' });
});

test('masks that do not fit are refused in one line naming the file (exit 3); masks only with the policies that read them', async () => {
  const data = await soup();
  const out = mkdtempSync(join(tmpdir(), 'dlth-oracle-bad-'));
  const refused = (re: RegExp, ...args: string[]): void => {
    const r = materialize(data, 'test', join(out, String(Math.random())), ...args);
    assert.equal(r.status, 3, String(r.stderr));
    const lines = String(r.stderr).trim().split('\n');
    assert.equal(lines.length, 1, String(r.stderr));
    assert.match(lines[0], re);
  };
  const train = join(data, 'train-masks-idx3-ubyte.gz');
  refused(/train-masks-idx3-ubyte\.gz: holds 48 masks, the source 24 images/, '--policy', 'oracle', '--k', '18', '--masks', train);
  const small = join(out, 'small-masks');
  writeFileSync(small, encodeIdxGz([24, 42, 42], new Uint8Array(24 * 42 * 42)));
  refused(/small-masks: masks are 42×42, the patches are cut from 49×49 images/, '--policy', 'oracle', '--k', '18', '--masks', small);
  refused(/small-masks: masks are 42×42/, '--policy', 'prior', '--k', '18', '--prior-masks', small);
  refused(/policy oracle needs masks/, '--policy', 'oracle', '--k', '18');
  refused(/masks: only policy oracle reads each image's mask, not random/, '--policy', 'random', '--k', '18', '--masks', train);
  refused(/priorMasks: only policy prior takes it, not oracle/, '--policy', 'oracle', '--k', '18', '--masks', join(data, 't10k-masks-idx3-ubyte.gz'), '--prior-masks', train);
  // a source reading a prefix of its file (--limit) takes the file's masks
  const r = materialize(data, 'train', join(out, 'limited'), '--limit', '10', '--policy', 'oracle', '--k', '18', '--masks', train);
  assert.equal(r.status, 0, String(r.stderr));
  assert.equal((await openDataset(join(out, 'limited'))).manifest.rows, 10);
  // a range of the file (--offset, a validation split) takes the whole file's masks, by file index
  const set = await readMasks(train);
  const ranged = join(out, 'range');
  const rr = materialize(data, 'train', ranged, '--offset', '40', '--limit', '8', '--policy', 'oracle', '--k', '18', '--masks', train);
  assert.equal(rr.status, 0, String(rr.stderr));
  let i = 40;
  for await (const row of ticketRows(await openDataset(ranged))) {
    assert.equal(row.id, `train/${String(i).padStart(5, '0')}`);
    assert.ok(objectPositions(patchCover(maskAt(set, i), 49, 49, 7)).every((j) => row.positions.includes(j)), `row ${row.id} keeps mask ${i}'s object`);
    i++;
  }
  assert.equal(i, 48);
  // masks as many as the range's images are ambiguous (the range's, or the file's first?): refused
  const eight = join(out, 'eight-masks');
  writeFileSync(eight, encodeIdxGz([8, 49, 49], set.data.subarray(40 * 49 * 49, 48 * 49 * 49)));
  const bad = materialize(data, 'train', join(out, 'range-bad'), '--offset', '40', '--limit', '8', '--policy', 'oracle', '--k', '18', '--masks', eight);
  assert.equal(bad.status, 3, String(bad.stderr));
  assert.match(String(bad.stderr), /eight-masks: holds 8 masks, the source images 40–47 of a 48-image file: give the file's 48 masks/);
});
