/** Images smaller than the target: counted and warned about (default), refused ('skip'), or upscaled silently. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchify } from '../../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { smallImagesWarning } from '../../src/patchify/small.js';
import { ImageError, InputError, SmallImageError } from '../../src/util/errors.js';
import { encodePhoto } from './images.js';

const payload = async (w: number, h: number) => ({ kind: 'encoded' as const, file: `/x/${w}x${h}.png`, bytes: await encodePhoto('png', w, h) });

test('a 20×13 image with a 32×32 target: skip refuses it with a SmallImageError naming the file and sizes', async () => {
  const cfg = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, resize: 'shorter', smallImages: 'skip' });
  await assert.rejects(patchify(await payload(20, 13), cfg), (e: unknown) =>
    e instanceof SmallImageError && e instanceof ImageError && e.file === '/x/20x13.png'
    && /image is 20×13, smaller than the target 32×32/.test(e.message));
  // One side large enough is not enough: 40×20 would be upscaled too.
  await assert.rejects(patchify(await payload(40, 20), cfg), SmallImageError);
  assert.equal((await patchify(await payload(32, 40), cfg)).gridH, 4);
});

test('warn (the default) upscales and counts; upscale is silent; an unknown mode is an InputError', async () => {
  assert.equal(smallImagesWarning(), null);
  const quiet = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, resize: 'shorter', smallImages: 'upscale' });
  await patchify(await payload(20, 13), quiet);
  assert.equal(smallImagesWarning(), null);
  const warn = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, resize: 'shorter' });
  assert.equal(warn.smallImages, undefined);
  assert.equal((await patchify(await payload(20, 13), warn)).gridW, 4);
  await patchify(await payload(16, 16), warn);
  assert.match(smallImagesWarning() ?? '', /^2 image\(s\) smaller than 32×32 were upscaled, e\.g\. \/x\/20x13\.png \(20×13\)/);
  assert.throws(() => resolvePatchifyConfig({ imageSize: 32, patchSize: 8, smallImages: 'grow' as 'warn' }), InputError);
});
