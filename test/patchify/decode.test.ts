import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../../src/patchify/decode.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { ImageError } from '../../src/util/errors.js';
import type { ImagePayload } from '../../src/sources/types.js';
import { encodePhoto, photoRgb, quadrants, type Format } from './images.js';

const enc = (bytes: Uint8Array, file = 'x.img'): ImagePayload => ({ kind: 'encoded', file, bytes });
const exact = (h: number, w: number, channels: 1 | 3 = 3) =>
  resolvePatchifyConfig({ imageSize: [h, w], patchSize: 1, channels, resize: 'none' });

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

for (const [format, tolerance] of [['png', 0], ['webp', 0], ['tiff', 0], ['jpeg', 8], ['gif', 40]] as [Format, number][]) {
  test(`decodes ${format} photos of varied sizes to the configured size`, async () => {
    for (const [w, h] of [[96, 64], [61, 83], [224, 224]]) {
      const bytes = await encodePhoto(format, w, h);
      const img = await decodeImage(enc(bytes), exact(h, w));
      assert.deepEqual([img.width, img.height, img.channels], [w, h, 3]);
      const diff = meanAbsDiff(img.data, await photoRgb(w, h));
      assert.ok(diff <= tolerance, `${format} ${w}×${h}: mean abs diff ${diff} > ${tolerance}`);
      const deit = await decodeImage(enc(bytes), resolvePatchifyConfig({ imageSize: 32, patchSize: 8 }));
      assert.deepEqual([deit.width, deit.height, deit.channels], [32, 32, 3]);
    }
  });
}

test('applies every EXIF orientation (1–8) before resizing', async () => {
  const [R, G, B, K]: [number, number, number][] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 0, 0]];
  const raw = quadrants(40, 20, [R, G, B, K]);
  // Where the top-left quadrant colour ends up after applying each orientation.
  const topLeft: Record<number, [number, number, number]> = { 1: R, 2: G, 3: K, 4: B, 5: R, 6: B, 7: K, 8: G };
  for (let o = 1; o <= 8; o++) {
    const jpeg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: o }).toBuffer();
    const [h, w] = o >= 5 ? [40, 20] : [20, 40];
    const img = await decodeImage(enc(jpeg), exact(h, w));
    const px = Array.from(img.data.subarray(((2 * w) + 2) * 3, ((2 * w) + 2) * 3 + 3));
    px.forEach((v, c) => assert.ok(Math.abs(v - topLeft[o][c]) < 40, `orientation ${o}: ${px} vs ${topLeft[o]}`));
  }
});

test('converts colour modes: gray, gray+alpha, RGBA, CMYK JPEG, 16-bit PNG', async () => {
  const rgb = await photoRgb(48, 32);
  const base = () => sharp(rgb, { raw: { width: 48, height: 32, channels: 3 } });
  const gray = await base().grayscale().png().toBuffer();
  const g3 = await decodeImage(enc(gray), exact(32, 48, 3));
  for (let i = 0; i < g3.data.length; i += 3) assert.ok(g3.data[i] === g3.data[i + 1] && g3.data[i] === g3.data[i + 2]);
  const g1 = await decodeImage(enc(gray), exact(32, 48, 1));
  assert.equal(g1.channels, 1);
  assert.equal(meanAbsDiff(g1.data, await sharp(gray).raw().toColourspace('b-w').toBuffer()), 0);

  // Fully transparent pixels become the background; opaque ones keep their colour.
  const alpha = Buffer.alloc(48 * 32, 255);
  alpha.fill(0, 0, 48 * 16); // top half transparent
  const rgba = await base().joinChannel(alpha, { raw: { width: 48, height: 32, channels: 1 } }).png().toBuffer();
  const cfg = { ...exact(32, 48), background: [10, 20, 30] as [number, number, number] };
  const flat = await decodeImage(enc(rgba), cfg);
  assert.deepEqual(Array.from(flat.data.subarray(0, 3)), [10, 20, 30]);
  assert.deepEqual(Array.from(flat.data.subarray(48 * 20 * 3, 48 * 20 * 3 + 3)), Array.from(rgb.subarray(48 * 20 * 3, 48 * 20 * 3 + 3)));
  const grayAlpha = await sharp(rgba).toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(grayAlpha).metadata()).channels, 2);
  const ga = await decodeImage(enc(grayAlpha), { ...exact(32, 48, 1), background: [200, 200, 200] });
  assert.equal(ga.data[0], 200);

  const cmyk = await base().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const fromCmyk = await decodeImage(enc(cmyk), exact(32, 48));
  assert.ok(meanAbsDiff(fromCmyk.data, rgb) < 25, 'CMYK converted to sRGB close to the original');

  const png16 = await base().toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  const from16 = await decodeImage(enc(png16), exact(32, 48));
  assert.ok(meanAbsDiff(from16.data, rgb) <= 1, '16-bit PNG is 8-bit sRGB after decode');
});

test('mode none rejects other sizes with an ImageError naming the file', async () => {
  const png = await encodePhoto('png', 30, 20);
  await assert.rejects(decodeImage(enc(png, 'a/b.png'), exact(20, 31)), (e: unknown) =>
    e instanceof ImageError && e.file === 'a/b.png' && /30×20.*'none'/.test(e.message));
});

test('raw payloads: no copy without resize; resized through sharp otherwise', async () => {
  const data = new Uint8Array(28 * 28).map((_, i) => i % 251);
  const payload: ImagePayload = { kind: 'raw', file: 'f#0', image: { width: 28, height: 28, channels: 1, data } };
  const same = await decodeImage(payload, exact(28, 28, 1));
  assert.equal(same.data, data);
  const up = await decodeImage(payload, resolvePatchifyConfig({ imageSize: 56, patchSize: 8, channels: 3, resize: 'shorter' }));
  assert.deepEqual([up.width, up.height, up.channels], [56, 56, 3]);
  const crop = await decodeImage({ ...payload, image: { ...payload.image, width: 14, height: 56 } }, resolvePatchifyConfig({ imageSize: 14, patchSize: 7, channels: 1, resize: 'shorter' }));
  assert.deepEqual(Array.from(crop.data.subarray(0, 14)), Array.from(data.subarray(21 * 14, 22 * 14)));
});
