import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { readJpegHeader } from '../../src/patchify/jpeg_header.js';
import { encodePhoto, photo } from './images.js';

test('readJpegHeader agrees with sharp metadata: sizes, orientations, components, progressive, gray, CMYK', async () => {
  const base = sharp(photo('coffee-192x128.jpg'));
  const jpegs: Buffer[] = [photo('coffee-192x128.jpg'), photo('chelsea-150x100.jpg'), await encodePhoto('jpeg', 641, 3)];
  for (let o = 1; o <= 8; o++) jpegs.push(await base.clone().jpeg().withMetadata({ orientation: o }).toBuffer());
  jpegs.push(await base.clone().jpeg({ progressive: true }).toBuffer());
  jpegs.push(await base.clone().grayscale().jpeg().toBuffer());
  jpegs.push(await base.clone().toColourspace('cmyk').jpeg().toBuffer());
  jpegs.push(await base.clone().jpeg().withMetadata({ orientation: 6 }).withExifMerge({ IFD0: { Copyright: 'x' } }).toBuffer());
  for (const [i, bytes] of jpegs.entries()) {
    const meta = await sharp(bytes).metadata();
    const h = readJpegHeader(bytes);
    assert.ok(h, `jpeg ${i} understood`);
    assert.deepEqual(h, { width: meta.width, height: meta.height, orientation: meta.orientation ?? 1, components: meta.channels }, `jpeg ${i}`);
  }
});

test('readJpegHeader returns null for non-JPEGs and headers it cannot finish', async () => {
  const jpeg = photo('coffee-192x128.jpg');
  for (const bytes of [await encodePhoto('png', 8, 8), Buffer.alloc(0), Buffer.from('not a jpeg'), jpeg.subarray(0, 3), jpeg.subarray(0, 40)]) {
    assert.equal(readJpegHeader(bytes), null);
  }
});
