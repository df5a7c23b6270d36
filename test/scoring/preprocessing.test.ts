/** Reading a checkpoint's preprocessing and turning it, with overrides, into the PatchifyConfig used to score. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/model/configs.js';
import { planTransform } from '../../src/patchify/transform.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { patchifyConfigFor, scoringPatchifyConfig, sharpKernel } from '../../src/preprocessing/resolve.js';
import { defaultPreprocessing, fromHfProcessor, fromTimmCfg } from '../../src/preprocessing/read.js';
import { CheckpointError, InputError } from '../../src/util/errors.js';

const M224 = resolveConfig({ imageSize: [224, 224], patchSize: 16 });
const vitProc = { image_processor_type: 'ViTImageProcessor', do_resize: true, size: { height: 224, width: 224 }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] };
const deitProc = { image_processor_type: 'DeiTImageProcessor', size: { height: 256, width: 256 }, do_center_crop: true, crop_size: { height: 224, width: 224 }, resample: 3, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] };

test('ViT processor: fixed 224 resize, bilinear → sharp linear, mean/std 0.5, HF floor crop offsets', () => {
  const pre = fromHfProcessor(vitProc, 'p.json', M224);
  assert.deepEqual(pre.resize, { mode: 'fixed', size: [224, 224] });
  const cfg = patchifyConfigFor(pre, M224);
  assert.deepEqual([cfg.resize, cfg.resizeTo, cfg.interpolation, cfg.mean, cfg.cropRounding], ['fixed', [224, 224], 'linear', [0.5, 0.5, 0.5], 'floor']);
  assert.deepEqual(planTransform(500, 375, cfg), { srcWidth: 500, srcHeight: 375, resize: { width: 224, height: 224 }, crop: null });
});

test('DeiT processor: 256×256 then a 224 crop at (256 − 224) // 2; ConvNext crop_pct: shortest edge int(224/0.875)', () => {
  const cfg = patchifyConfigFor(fromHfProcessor(deitProc, 'p.json', M224), M224);
  assert.deepEqual(planTransform(500, 375, cfg).crop, { left: 16, top: 16, width: 224, height: 224 });
  assert.equal(cfg.interpolation, 'cubic');
  const conv = patchifyConfigFor(fromHfProcessor({ image_processor_type: 'ConvNextImageProcessor', size: { shortest_edge: 224 }, crop_pct: 0.875, resample: 3 }, 'p.json', M224), M224);
  const plan = planTransform(500, 375, conv);
  assert.deepEqual(plan.resize, { width: 341, height: 256 });
  assert.deepEqual(plan.crop, { left: 58, top: 16, width: 224, height: 224 });
  assert.equal(conv.cropRounding, 'floor');
});

test('rescale other than /255 and do_normalize false fold into mean and std', () => {
  const pre = fromHfProcessor({ ...vitProc, rescale_factor: 1 / 127.5, image_mean: [1, 1, 1], image_std: [1, 1, 1] }, 'p.json', M224);
  // (u/127.5 − 1)/1 = (u/255 − 0.5)/0.5
  assert.deepEqual(pre.mean.map((x) => +x.toFixed(9)), [0.5, 0.5, 0.5]);
  assert.deepEqual(pre.std.map((x) => +x.toFixed(9)), [0.5, 0.5, 0.5]);
  const raw = fromHfProcessor({ ...vitProc, do_normalize: false }, 'p.json', M224);
  assert.deepEqual([raw.mean, raw.std], [[0, 0, 0], [1, 1, 1]]);
});

test('a processor that contradicts the model, or an unknown filter, names the file', () => {
  assert.throws(() => fromHfProcessor({ ...vitProc, size: { height: 384, width: 384 } }, 'p.json', M224), (e: unknown) => e instanceof CheckpointError && /p\.json: the processor makes 384×384 images but the model takes 224×224/.test(e.message));
  assert.throws(() => fromHfProcessor({ ...vitProc, resample: 9 }, 'p.json', M224), /resample 9 is not a PIL filter/);
  assert.throws(() => fromTimmCfg({ crop_mode: 'squash' }, 'c.json', M224), /crop_mode "squash" is not supported/);
});

test('timm pretrained_cfg: crop_pct, interpolation, mean, std', () => {
  const cfg = patchifyConfigFor(fromTimmCfg({ input_size: [3, 224, 224], crop_pct: 0.9, interpolation: 'bilinear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, 'c.json', M224), M224);
  assert.deepEqual([cfg.resize, cfg.cropPct, cfg.interpolation, cfg.mean, cfg.cropRounding], ['deit', 0.9, 'linear', [0.5, 0.5, 0.5], 'round']);
});

test('overrides win: mean, std, resize (mode, edge, HxW), cropPct, interpolation (PIL or sharp names)', () => {
  const pre = fromHfProcessor(deitProc, 'p.json', M224);
  const o = patchifyConfigFor(pre, M224, { mean: [0.1, 0.2, 0.3], std: [1, 1, 1], interpolation: 'lanczos' });
  assert.deepEqual([o.mean, o.std, o.interpolation], [[0.1, 0.2, 0.3], [1, 1, 1], 'lanczos3']);
  assert.deepEqual([patchifyConfigFor(pre, M224, { resize: 256 }).resize, patchifyConfigFor(pre, M224, { resize: 256 }).shortestEdge], ['shorter', 256]);
  assert.deepEqual(patchifyConfigFor(pre, M224, { resize: [240, 260] }).resizeTo, [240, 260]);
  assert.deepEqual([patchifyConfigFor(pre, M224, { cropPct: 0.95 }).resize, patchifyConfigFor(pre, M224, { cropPct: 0.95 }).cropPct], ['deit', 0.95]);
  assert.equal(sharpKernel('cubic'), 'cubic');
  assert.throws(() => sharpKernel('box'), (e: unknown) => e instanceof InputError && /interpolation "box" is not supported/.test(e.message));
});

test('scoring config: a dlth checkpoint binds only mean/std, a named variant nothing, a processor everything', () => {
  const requested = resolvePatchifyConfig({ imageSize: 28, patchSize: 4, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
  const model = resolveConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, mean: [0.5], std: [0.5] });
  const own = scoringPatchifyConfig({ ...defaultPreprocessing(model), from: 'model-config' }, model, requested);
  assert.deepEqual([own.resize, own.mean, own.std], ['none', [0.5], [0.5]]);
  const variant = scoringPatchifyConfig(defaultPreprocessing(model), model, requested);
  assert.deepEqual([variant.resize, variant.mean], ['none', [0.286]]);
  assert.deepEqual(scoringPatchifyConfig(defaultPreprocessing(model), model, requested, { std: [0.25] }).std, [0.25]);
  const hf = scoringPatchifyConfig(fromHfProcessor(vitProc, 'p.json', M224), M224, resolvePatchifyConfig({ imageSize: 224, patchSize: 16, background: [0, 0, 0] }));
  assert.deepEqual([hf.resize, hf.mean, hf.background], ['fixed', [0.5, 0.5, 0.5], [0, 0, 0]]);
});
