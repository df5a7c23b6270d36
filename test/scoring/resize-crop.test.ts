/**
 * Resize and crop overrides combine as a user means them: the resize first, then the centre crop
 * to the image size. `--resize 256x256 --crop-pct 0.875` at 224 is a 256×256 resize cropped to
 * 224 (it used to be silently dropped by materialize and refused by score); contradictions are
 * one-line errors naming both; a checkpoint's own resize never leaks into the caller's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { patchifyConfigFor, patchifyOverridden, resizeOverride, type Preprocessing } from '../../src/preprocessing/resolve.js';
import { InputError } from '../../src/util/errors.js';
import { preprocessingDifference, describePreprocessing } from '../../src/shards/preprocessing.js';
import { appliedPreprocessing } from '../../src/engine/meta.js';

const base = resolvePatchifyConfig({ imageSize: 224, patchSize: 16 });

test('a resize and the crop fraction it implies combine: resize, then centre crop', () => {
  const fixed = patchifyOverridden(base, { resize: [256, 256], cropPct: 0.875 });
  assert.equal(fixed.resize, 'fixed');
  assert.deepEqual(fixed.resizeTo, [256, 256]);
  const shorter = patchifyOverridden(base, { resize: 256, cropPct: 0.875 });
  assert.deepEqual([shorter.resize, shorter.shortestEdge], ['shorter', 256]);
  const mode = patchifyOverridden(base, { resize: 'fixed', cropPct: 0.875 });
  assert.deepEqual([mode.resize, mode.resizeTo], ['fixed', [256, 256]], 'a mode takes its size from the crop fraction (timm: floor(size / crop_pct))');
  const deit = patchifyOverridden(base, { resize: 'deit', cropPct: 0.9 });
  assert.deepEqual([deit.resize, deit.cropPct, deit.resizeTo, deit.shortestEdge], ['deit', 0.9, undefined, undefined]);
});

test('contradictory resize and crop fraction are refused, naming both', () => {
  assert.throws(() => patchifyOverridden(base, { resize: 256, cropPct: 0.9 }), (e: Error) => e instanceof InputError && /resize 256 .* 0\.8750.* 0\.9/.test(e.message));
  assert.throws(() => patchifyOverridden(base, { resize: [256, 300], cropPct: 0.875 }), InputError);
  assert.throws(() => patchifyOverridden(base, { resize: 'none', cropPct: 0.875 }), /resize none/);
  assert.equal(resizeOverride({}, [224, 224], 'round'), null);
});

test('a checkpoint\'s preprocessing is not mixed with the caller\'s resize fields', () => {
  const hf: Preprocessing = { from: 'hf-processor', imageSize: [224, 224], resize: { mode: 'fixed', size: [224, 224] }, cropRounding: 'floor', interpolation: 'bilinear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  const requested = resolvePatchifyConfig({ imageSize: 224, patchSize: 16, resize: 'fixed', resizeTo: [256, 256] });
  const cfg = patchifyConfigFor(hf, { patchSize: 16, channels: 3 }, { resize: [256, 256], cropPct: 0.875 }, requested);
  assert.deepEqual([cfg.resize, cfg.resizeTo], ['fixed', [256, 256]], 'score with --resize 256x256 --crop-pct 0.875');
  const own = patchifyConfigFor(hf, { patchSize: 16, channels: 3 }, {}, requested);
  assert.deepEqual([own.resize, own.resizeTo], ['fixed', [224, 224]], 'the caller\'s default resize does not leak into the checkpoint\'s');
});

test('preprocessing differences: any pixel field, not where it was read', () => {
  const a = { imageSize: [224, 224] as [number, number], channels: 3, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], preprocessing: appliedPreprocessing(patchifyOverridden(base, { resize: [256, 256] }), 'hf-processor') };
  assert.equal(preprocessingDifference(a, { ...a, preprocessing: { ...a.preprocessing, from: 'default' } }), null);
  assert.match(preprocessingDifference(a, { ...a, mean: [0.485, 0.456, 0.406] }) ?? '', /^mean /);
  assert.match(preprocessingDifference(a, { ...a, preprocessing: { ...a.preprocessing, interpolation: 'linear' } }) ?? '', /^interpolation "cubic" vs "linear"/);
  assert.match(preprocessingDifference(a, { ...a, preprocessing: { ...a.preprocessing, resizeTo: [288, 288] } }) ?? '', /^resizeTo/);
  // cropPct only matters in deit mode; an older dataset (no record) compares on size and statistics.
  assert.equal(preprocessingDifference(a, { ...a, preprocessing: { ...a.preprocessing, cropPct: 0.9 } }), null);
  assert.equal(preprocessingDifference(a, { ...a, preprocessing: undefined }), null);
  assert.match(describePreprocessing(a), /resize to 256×256, cubic, centre crop to 224×224, mean 0.5,0.5,0.5/);
});
