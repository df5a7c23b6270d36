import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePatchifyConfig, IMAGENET_MEAN, FASHION_MNIST_STD } from '../../src/patchify/config.js';
import { InputError } from '../../src/util/errors.js';

test('defaults: deit, 0.875, white background, 100 MP limit, per-channel statistics', () => {
  const rgb = resolvePatchifyConfig({ imageSize: 224, patchSize: 16 });
  assert.deepEqual(rgb, {
    imageSize: [224, 224], patchSize: 16, channels: 3, resize: 'deit', cropPct: 0.875, background: [255, 255, 255],
    limitInputPixels: 100_000_000, mean: IMAGENET_MEAN, std: [0.229, 0.224, 0.225], interpolation: 'cubic',
  });
  const gray = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1 });
  assert.deepEqual([gray.mean, gray.std], [[0.286], FASHION_MNIST_STD]);
});

test('rejects bad values with an InputError naming the field', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ imageSize: 224, patchSize: 15 }, /patchSize.*divisor/],
    [{ imageSize: 0, patchSize: 1 }, /imageSize/],
    [{ imageSize: [224], patchSize: 16 }, /imageSize/],
    [{ imageSize: 224, patchSize: 16, channels: 2 }, /channels/],
    [{ imageSize: 224, patchSize: 16, resize: 'stretch' }, /resize/],
    [{ imageSize: 224, patchSize: 16, cropPct: 0 }, /cropPct/],
    [{ imageSize: 224, patchSize: 16, background: [0, 0, 256] }, /background/],
    [{ imageSize: 224, patchSize: 16, limitInputPixels: -1 }, /limitInputPixels/],
    [{ imageSize: 224, patchSize: 16, channels: 1, mean: [0.5, 0.5, 0.5] }, /mean/],
    [{ imageSize: 224, patchSize: 16, std: [1, 0, 1] }, /std/],
  ];
  for (const [input, re] of bad) {
    assert.throws(() => resolvePatchifyConfig(input as never), (e: unknown) => e instanceof InputError && re.test(e.message));
  }
});
