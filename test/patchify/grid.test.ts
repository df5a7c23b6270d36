import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { patchify } from '../../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { splitPatches, splitPatchesInPlace, unpatchify } from '../../src/patchify/grid.js';
import type { PatchGrid } from '../../src/patchify/types.js';
import { openIdx } from '../../src/sources/idx.js';
import type { RawImage } from '../../src/sources/types.js';
import { photoRgb } from './images.js';

/** Asserts every byte of every patch equals the source pixel at its grid position. */
function assertPatchesHoldSource(grid: PatchGrid, image: RawImage): void {
  const { gridH, gridW, patchSize: p, channels: c, patches } = grid;
  assert.deepEqual([gridH * p, gridW * p, c], [image.height, image.width, image.channels]);
  for (let gy = 0; gy < gridH; gy++) {
    for (let gx = 0; gx < gridW; gx++) {
      const base = (gy * gridW + gx) * p * p * c;
      for (let r = 0; r < p; r++) {
        for (let col = 0; col < p; col++) {
          for (let ch = 0; ch < c; ch++) {
            const src = image.data[((gy * p + r) * image.width + gx * p + col) * c + ch];
            const got = patches[base + (r * p + col) * c + ch];
            if (src !== got) assert.fail(`patch (${gy},${gx}) pixel (${r},${col}) channel ${ch}: ${got} ≠ ${src}`);
          }
        }
      }
    }
  }
}

test('pixel-exact: a no-resize PNG, every patch holds the source pixels at its grid position', async () => {
  for (const [w, h, p] of [[64, 48, 16], [36, 24, 4], [30, 45, 15]]) {
    const rgb = await photoRgb(w, h);
    const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
    const cfg = resolvePatchifyConfig({ imageSize: [h, w], patchSize: p });
    const grid = await patchify({ kind: 'encoded', file: 'p.png', bytes: png }, cfg);
    assert.deepEqual([grid.gridH, grid.gridW], [h / p, w / p]);
    assertPatchesHoldSource(grid, { width: w, height: h, channels: 3, data: rgb });
  }
});

test('pixel-exact: Fashion-MNIST IDX images, patch 4 and 7, grayscale', async () => {
  const src = await openIdx({ kind: 'idx', dir: 'data/fashion-mnist-mini', split: 'test' });
  for (const p of [4, 7, 14]) {
    const cfg = resolvePatchifyConfig({ imageSize: 28, patchSize: p, channels: 1, resize: 'none' });
    for (const i of [0, 1, 999]) {
      const payload = await src.load(i);
      assert.equal(payload.kind, 'raw');
      if (payload.kind !== 'raw') return;
      assertPatchesHoldSource(await patchify(payload, cfg), payload.image);
    }
  }
});

test('splitPatches reuses a caller buffer and round-trips through unpatchify', () => {
  for (const [w, h, c, p] of [[224, 224, 3, 16], [224, 224, 3, 14], [28, 28, 1, 7], [12, 8, 1, 4]] as const) {
    const image: RawImage = { width: w, height: h, channels: c, data: new Uint8Array(w * h * c).map(() => Math.random() * 256) };
    const out = new Uint8Array(w * h * c);
    const grid = splitPatches(image, p, out);
    assert.equal(grid.patches, out);
    assertPatchesHoldSource(grid, image);
    assert.deepEqual(unpatchify(grid), image);
  }
});

test('unpatchify with positions places kept patches and fills the rest', () => {
  const layout = { gridH: 2, gridW: 3, patchSize: 2, channels: 1 };
  const kept = new Uint8Array([1, 1, 1, 1, 5, 5, 5, 5]); // patches at positions 1 and 5
  const img = unpatchify(kept, layout, [1, 5], 9);
  assert.deepEqual(Array.from(img.data), [
    9, 9, 1, 1, 9, 9,
    9, 9, 1, 1, 9, 9,
    9, 9, 9, 9, 5, 5,
    9, 9, 9, 9, 5, 5,
  ]);
  assert.throws(() => unpatchify(kept, layout, [1, 6]), /position 6/);
});

test('patchify never modifies a raw payload it shares pixels with; in-place split matches', async () => {
  const src = await openIdx({ kind: 'idx', dir: 'data/fashion-mnist-mini', split: 'test' });
  const payload = await src.load(3);
  if (payload.kind !== 'raw') return assert.fail('raw payload expected');
  const before = Uint8Array.from(payload.image.data);
  const grid = await patchify(payload, resolvePatchifyConfig({ imageSize: 28, patchSize: 4, channels: 1, resize: 'none' }));
  assert.deepEqual(Uint8Array.from(payload.image.data), before);
  assertPatchesHoldSource(grid, { ...payload.image, data: before });
  const image: RawImage = { width: 32, height: 16, channels: 3, data: new Uint8Array(32 * 16 * 3).map((_, i) => i * 7) };
  const copy = { ...image, data: Uint8Array.from(image.data) };
  const inPlace = splitPatchesInPlace(copy, 8);
  assert.equal(inPlace.patches.buffer, copy.data.buffer);
  assert.deepEqual(inPlace.patches, splitPatches(image, 8).patches);
});
