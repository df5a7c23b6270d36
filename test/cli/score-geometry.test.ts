/**
 * `dlth score` takes the patch geometry (image size, patch size, channels) from the selector's
 * checkpoint when no flag gives it: a dlth checkpoint (its metadata), a Hugging Face save_pretrained
 * directory (config.json, with or without preprocessor_config.json). A flag that agrees is accepted;
 * one that contradicts the checkpoint is one line naming both values (exit 3).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { encodePhoto } from '../patchify/images.js';
import { ROOT, runCli } from './run-cli.js';

const PYTHON = join(ROOT, '.venv', 'bin', 'python');
/** A ViTModel of 32×32 one-channel images in patches of 8, saved with and without its image processor. */
const MAKE_HF = `
import sys, torch
from transformers import ViTConfig, ViTImageProcessor, ViTModel
torch.manual_seed(0)
cfg = ViTConfig(image_size=32, patch_size=8, num_channels=1, hidden_size=48, num_hidden_layers=2, num_attention_heads=3, intermediate_size=96)
model = ViTModel(cfg)
for d in ('hf', 'hf-no-processor'):
    model.save_pretrained(f'{sys.argv[1]}/{d}')
ViTImageProcessor(size={'height': 32, 'width': 32}, image_mean=[0.5], image_std=[0.5]).save_pretrained(f'{sys.argv[1]}/hf')
`;

function pythonReason(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (npm run setup)`;
  const r = spawnSync(PYTHON, ['-c', 'import transformers, torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `transformers/torch not importable in ${PYTHON}`;
}

const noPython = pythonReason();
let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dlth-score-geom-'));
  mkdirSync(join(dir, 'img'));
  for (const [name, w, h] of [['a.png', 40, 40], ['b.png', 60, 45]] as const) writeFileSync(join(dir, 'img', name), await encodePhoto('png', w, h));
  writeFileSync(join(dir, 'list.jsonl'), ['img/a.png', 'img/b.png'].map((path) => JSON.stringify({ path, label: 0 })).join('\n'));
  await initBackend({ backend: 'cpu' });
  const vit = ViT.init(variantConfig('vit-micro-p4-28'), 3); // 28×28, patch 4, 1 channel
  await saveCheckpoint(join(dir, 'micro.safetensors'), vit);
  vit.dispose();
  if (!noPython) {
    const r = spawnSync(PYTHON, ['-c', MAKE_HF, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const score = (checkpoint: string, out: string, ...more: string[]) =>
  runCli(['score', '--source', 'jsonl', '--file', join(dir, 'list.jsonl'), '--checkpoint', join(dir, checkpoint), '-o', join(dir, out), '-q', '--backend', 'cpu', ...more]);

/** imageSize, patchSize and channels a dataset's manifest records. */
function geometry(out: string): [number[], number, number] {
  const { meta } = JSON.parse(readFileSync(join(dir, out, 'manifest.json'), 'utf8')) as { meta: { imageSize: number[]; patchSize: number; channels: number } };
  return [meta.imageSize, meta.patchSize, meta.channels];
}

test('a dlth checkpoint: no geometry flags → its 28×28, patch 4, 1 channel; agreeing flags accepted', async () => {
  const r = await score('micro.safetensors', 'micro');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(geometry('micro'), [[28, 28], 4, 1]);
  const same = await score('micro.safetensors', 'micro-flags', '--image-size', '28', '--patch-size', '4', '--channels', '1');
  assert.equal(same.code, 0, same.stderr);
  assert.deepEqual(geometry('micro-flags'), [[28, 28], 4, 1]);
});

test('a flag that contradicts the checkpoint: exit 3, one line naming both values', async () => {
  const ckpt = join(dir, 'micro.safetensors');
  const cases: [string[], string][] = [
    [['--patch-size', '16'], `--patch-size 16 contradicts the patch size 4 of the selector (checkpoint ${ckpt}); omit --patch-size to use the selector's`],
    [['--image-size', '32x28'], `--image-size 32×28 contradicts the image size 28×28 of the selector (checkpoint ${ckpt}); omit --image-size to use the selector's`],
    [['--channels', '3'], `--channels 3 contradicts the channel count 1 of the selector (checkpoint ${ckpt}); omit --channels to use the selector's`],
  ];
  for (const [flags, message] of cases) {
    const r = await score('micro.safetensors', 'micro-bad', ...flags);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.lines, [`dlth: error: ${message}`]);
  }
});

test('a Hugging Face directory, with or without its image processor: 32×32, patch 8, 1 channel from config.json', { skip: noPython }, async () => {
  for (const d of ['hf', 'hf-no-processor']) {
    const r = await score(d, `${d}-out`);
    assert.equal(r.code, 0, `${d}: ${r.stderr}`);
    assert.deepEqual(geometry(`${d}-out`), [[32, 32], 8, 1], d);
  }
  const bad = await score('hf', 'hf-bad', '--patch-size', '16');
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(bad.lines[0] ?? '', /^dlth: error: --patch-size 16 contradicts the patch size 8 of the selector \(checkpoint .*\/hf\)/);
});
