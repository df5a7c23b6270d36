/**
 * Object masks: reading (sha256 independent of gzip, the record keeps the file name only), cover
 * on a patch grid and the object threshold, position frequency, the per-patch statistics and their
 * rankings, and measureRecall against a brute-force count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectPositions, patchCover, positionFrequency } from '../../src/masks/cover.js';
import { maskRecord, readMasks, type MaskSet } from '../../src/masks/read.js';
import { measureRecall, patchRules, patchStats, rankByValue, recallOf } from '../../src/masks/recall.js';
import { encodeIdx, encodeIdxGz } from '../../src/synth/idx-write.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'dlth-masks-'));

function maskSet(count: number, h: number, w: number, data: number[]): MaskSet {
  return { file: 'm', count, height: h, width: w, data: Uint8Array.from(data), sha256: '' };
}

test('readMasks: [N, H, W]; the sha256 is of the dimensions and bytes, the same gzipped or not; the record names the file, not its directory', async () => {
  const dir = tmp();
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i % 2);
  writeFileSync(join(dir, 'a-masks-idx3-ubyte'), encodeIdx([2, 3, 4], data));
  writeFileSync(join(dir, 'a-masks-idx3-ubyte.gz'), encodeIdxGz([2, 3, 4], data));
  const [raw, gz] = [await readMasks(join(dir, 'a-masks-idx3-ubyte')), await readMasks(join(dir, 'a-masks-idx3-ubyte.gz'))];
  assert.deepEqual([gz.count, gz.height, gz.width], [2, 3, 4]);
  assert.equal(raw.sha256, gz.sha256);
  assert.match(gz.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(maskRecord(gz), { file: 'a-masks-idx3-ubyte.gz', count: 2, size: [3, 4], sha256: gz.sha256 });
  writeFileSync(join(dir, 'b'), encodeIdx([2, 3, 4], Uint8Array.from(data, (v) => 1 - v)));
  assert.notEqual((await readMasks(join(dir, 'b'))).sha256, raw.sha256);
});

test('patch cover: the share of each patch\'s pixels under the mask; object from a half, inclusive', () => {
  // 4×4 mask, patches of 2: top-left full, top-right 2 of 4, bottom-left 1 of 4, bottom-right empty
  const mask = Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 7, 0, 0, 0]);
  const cover = patchCover(mask, 4, 4, 2);
  assert.deepEqual([...cover], [1, 0.5, 0.25, 0]);
  assert.deepEqual(objectPositions(cover), [0, 1]);
  assert.deepEqual(objectPositions(cover, 0.2), [0, 1, 2]);
  assert.throws(() => patchCover(mask, 4, 4, 3), /do not tile 4×4/);
});

test('position frequency: per patch, the share of masks in which it is object', () => {
  const set = maskSet(2, 2, 4, [1, 1, 0, 0, 1, 1, 0, 0, /* second */ 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...positionFrequency(set, 2)], [1, 0.5]);
});

test('patch statistics: std, mean and gradient energy of a known patch; rankings break ties by position', () => {
  // one 2×2 patch [0 2; 4 6]: mean 3, population std sqrt(5), gradient ((2)² + (2)² + (4)² + (4)²) / 4 = 10
  const img = Uint8Array.from([0, 2, 9, 9, 4, 6, 9, 9]);
  assert.deepEqual([...patchStats(img, 2, 4, 2, 'mean')], [3, 9]);
  assert.deepEqual([...patchStats(img, 2, 4, 2, 'std')], [Math.sqrt(5), 0]);
  assert.deepEqual([...patchStats(img, 2, 4, 2, 'gradient')], [10, 0]);
  const v = Float64Array.from([1, 3, 1, 3]);
  assert.deepEqual([...rankByValue(v)], [1, 3, 0, 2]);
  assert.deepEqual([...rankByValue(v, true)], [0, 2, 1, 3]);
  assert.equal(recallOf([1, 3, 0, 2], 2, new Set([3, 0])), 0.5);
  assert.equal(recallOf([1], 1, new Set()), 1);
});

test('measureRecall: the mean over images of the share of object patches among the first k, as counted by hand', () => {
  let s = 7;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) % 256;
  const [count, H, P, ks] = [30, 8, 2, [3, 8]];
  const images = Uint8Array.from({ length: count * H * H }, rnd);
  const masks = maskSet(count, H, H, Array.from({ length: count * H * H }, () => (rnd() < 90 ? 1 : 0)));
  const rules = patchRules(H, H, P);
  const r = measureRecall({ images: { data: images, count, height: H, width: H }, masks, patch: P, ks }, rules);
  assert.equal(r.n, 16);
  for (const [name, rank] of rules) {
    const expected = ks.map((k) => {
      let sum = 0;
      for (let i = 0; i < count; i++) {
        const obj = new Set(objectPositions(patchCover(masks.data.subarray(i * 64, (i + 1) * 64), H, H, P)));
        const kept = Array.from(rank(images.subarray(i * 64, (i + 1) * 64))).slice(0, k);
        sum += obj.size === 0 ? 1 : kept.filter((q) => obj.has(q)).length / obj.size;
      }
      return sum / count;
    });
    assert.deepEqual(r.recall.get(name)?.map((x) => x.toFixed(12)), expected.map((x) => x.toFixed(12)), name);
  }
  assert.throws(() => measureRecall({ images: { data: images, count: count - 1, height: H, width: H }, masks, patch: P, ks }, rules), /30 masks of 8×8 for 29 images/);
});
