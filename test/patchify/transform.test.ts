import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { decodeImage } from '../../src/patchify/decode.js';
import { planTransform, roundHalfEven } from '../../src/patchify/transform.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { InputError } from '../../src/util/errors.js';
import { photoRgb } from './images.js';

const deit = resolvePatchifyConfig({ imageSize: 224, patchSize: 16 });

test('roundHalfEven is Python round()', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, -1.5, 2.4, 2.6, 58.5].map(roundHalfEven), [0, 2, 2, 4, -2, 2, 3, 58]);
});

test('DeiT plan: shorter side to floor(224/0.875)=256, longer int(256·long/short), torchvision centre crop', () => {
  assert.deepEqual(planTransform(500, 375, deit), {
    srcWidth: 500, srcHeight: 375, resize: { width: 341, height: 256 }, crop: { left: 58, top: 16, width: 224, height: 224 },
  });
  assert.deepEqual(planTransform(375, 500, deit).resize, { width: 256, height: 341 });
  assert.deepEqual(planTransform(256, 256, deit), {
    srcWidth: 256, srcHeight: 256, resize: null, crop: { left: 16, top: 16, width: 224, height: 224 },
  });
});

test('no resize at all when the source already has the target size, in every mode', () => {
  for (const resize of ['deit', 'shorter', 'none'] as const) {
    const cfg = resolvePatchifyConfig({ imageSize: [28, 36], patchSize: 4, resize });
    assert.deepEqual(planTransform(36, 28, cfg), { srcWidth: 36, srcHeight: 28, resize: null, crop: null });
  }
  const shorter = resolvePatchifyConfig({ imageSize: 224, patchSize: 16, resize: 'shorter' });
  assert.deepEqual(planTransform(224, 300, shorter), {
    srcWidth: 224, srcHeight: 300, resize: null, crop: { left: 0, top: 38, width: 224, height: 224 },
  });
  const none = resolvePatchifyConfig({ imageSize: 224, patchSize: 16, resize: 'none' });
  assert.throws(() => planTransform(225, 224, none, 'x.png'), InputError);
});

const PYTHON = '.venv/bin/python';
// timm's eval transform, geometry ported verbatim from torchvision (Resize(int) and CenterCrop),
// applied with PIL bicubic: prints the plan and the RGB bytes of the result as hex.
const PIL_REFERENCE = `
import math, sys
from PIL import Image
w, h, size, crop_pct = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
img = Image.frombytes('RGB', (w, h), sys.stdin.buffer.read())
s = math.floor(size / crop_pct)
short, long = (w, h) if w <= h else (h, w)
new_short, new_long = s, int(s * long / short)
nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
img = img.resize((nw, nh), Image.BICUBIC)
top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
img = img.crop((left, top, left + size, top + size))
print(nw, nh, left, top)
print(img.tobytes().hex())
`;

function hasPillow(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import PIL'], { encoding: 'utf8' }).status === 0;
}

test('DeiT geometry and pixels match PIL + torchvision for several sizes', { skip: hasPillow() ? false : `skipped: ${PYTHON} with Pillow not found (run scripts/setup-python.sh)` }, async () => {
  const sizes: [number, number, number, number][] = [[500, 375, 224, 0.875], [375, 500, 224, 0.875], [333, 333, 224, 0.875], [641, 427, 224, 0.9], [227, 301, 96, 0.875], [1000, 149, 64, 0.95]];
  for (const [w, h, size, cropPct] of sizes) {
    const rgb = await photoRgb(w, h, 'chelsea-150x100.jpg');
    const res = spawnSync(PYTHON, ['-c', PIL_REFERENCE, String(w), String(h), String(size), String(cropPct)], { input: rgb, maxBuffer: 1 << 26, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const [planLine, hex] = res.stdout.trim().split('\n');
    const [nw, nh, left, top] = planLine.split(' ').map(Number);
    const cfg = resolvePatchifyConfig({ imageSize: size, patchSize: 1, cropPct });
    const plan = planTransform(w, h, cfg);
    assert.deepEqual([plan.resize?.width ?? w, plan.resize?.height ?? h, plan.crop?.left ?? 0, plan.crop?.top ?? 0], [nw, nh, left, top], `${w}×${h}`);
    const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
    const ours = await decodeImage({ kind: 'encoded', file: 'p.png', bytes: png }, cfg);
    const theirs = Buffer.from(hex, 'hex');
    let diff = 0;
    for (let i = 0; i < theirs.length; i++) diff += Math.abs(ours.data[i] - theirs[i]);
    assert.ok(diff / theirs.length < 3, `${w}×${h}: mean abs diff to PIL ${diff / theirs.length}`);
  }
});
