import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipRow, shouldFlip, type FlipGeometry } from '../../src/loader/augment/flip.js';
import { Rng } from '../../src/loader/rng.js';

interface Image {
  h: number;
  w: number;
  c: number;
  data: Uint8Array;
}

function randomImage(h: number, w: number, c: number, rng: Rng): Image {
  const data = new Uint8Array(h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() & 0xff;
  return { h, w, c, data };
}

function flipDense(img: Image): Image {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.h; y++) {
    for (let x = 0; x < img.w; x++) {
      for (let ch = 0; ch < img.c; ch++) out[(y * img.w + (img.w - 1 - x)) * img.c + ch] = img.data[(y * img.w + x) * img.c + ch];
    }
  }
  return { ...img, data: out };
}

/** All N patches in raster order, each row-major (row, col, channel). */
function patchify(img: Image, p: number): Uint8Array {
  const gh = img.h / p;
  const gw = img.w / p;
  const out = new Uint8Array(img.data.length);
  let at = 0;
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      for (let y = 0; y < p; y++) {
        const src = ((gy * p + y) * img.w + gx * p) * img.c;
        out.set(img.data.subarray(src, src + p * img.c), at);
        at += p * img.c;
      }
    }
  }
  return out;
}

function gather(grid: Uint8Array, positions: Uint16Array, size: number): Uint8Array {
  const out = new Uint8Array(positions.length * size);
  positions.forEach((pos, j) => out.set(grid.subarray(pos * size, (pos + 1) * size), j * size));
  return out;
}

function randomPositions(n: number, k: number, rng: Rng): Uint16Array {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return Uint16Array.from(all.slice(0, k).sort((a, b) => a - b));
}

const cases: Array<[number, number, number, number, number]> = [
  // [grid h, grid w, p, C, k]
  [4, 4, 2, 3, 7],
  [3, 5, 4, 1, 15],
  [14, 14, 16, 3, 98],
  [2, 7, 3, 2, 1],
];

for (const [gh, gw, p, c, k] of cases) {
  test(`flip ${gh}×${gw} grid, p=${p}, C=${c}, k=${k}: equals flipping the dense image, and is an involution`, () => {
    const rng = new Rng(gh * 1000 + gw * 10 + k);
    const geo: FlipGeometry = { patchSize: p, channels: c, gridWidth: gw };
    const size = p * p * c;
    for (let trial = 0; trial < 5; trial++) {
      const img = randomImage(gh * p, gw * p, c, rng);
      const positions = randomPositions(gh * gw, k, rng);
      const scores = Float32Array.from(positions, (pos) => pos + 0.5);
      const patches = gather(patchify(img, p), positions, size);

      const fp = patches.slice();
      const fpos = positions.slice();
      const fs = scores.slice();
      flipRow(fp, fpos, fs, geo);

      const mirrored = Uint16Array.from(positions, (pos) => Math.floor(pos / gw) * gw + (gw - 1 - (pos % gw))).sort();
      assert.deepEqual(fpos, mirrored, 'positions are the mirrored set, ascending');
      assert.deepEqual(fp, gather(patchify(flipDense(img), p), mirrored, size), 'patches equal the dense flip');
      // Scores travel with their patch: a patch at (r, c) had score of position (r, G_w−1−c).
      assert.deepEqual(fs, Float32Array.from(fpos, (pos) => Math.floor(pos / gw) * gw + (gw - 1 - (pos % gw)) + 0.5));

      flipRow(fp, fpos, fs, geo, new Uint8Array(size));
      assert.deepEqual(fp, patches, 'flip twice restores patches');
      assert.deepEqual(fpos, positions, 'flip twice restores positions');
      assert.deepEqual(fs, scores, 'flip twice restores scores');
    }
  });
}

test('flip decisions are seeded per (seed, epoch, id) and fair', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `img-${i}`);
  const a = ids.map((id) => shouldFlip(7, 0, id));
  assert.deepEqual(ids.map((id) => shouldFlip(7, 0, id)), a);
  const heads = a.filter(Boolean).length;
  assert.ok(heads > 900 && heads < 1100, `${heads} of 2000 flipped`);
  const b = ids.map((id) => shouldFlip(7, 1, id));
  assert.ok(a.some((x, i) => x !== b[i]), 'epochs differ');
  const c = ids.map((id) => shouldFlip(8, 0, id));
  assert.ok(a.some((x, i) => x !== c[i]), 'seeds differ');
});
