/**
 * Checkpoints as users have them, made by Hugging Face `transformers` in the set-up
 * (scripts/parity/hf_checkpoints.py): a save_pretrained directory per ViT/DeiT class, two
 * normalisations, DeiT with LayerNorm eps 1e-12 and an MLP ratio of 100/48, a sharded index and a
 * timm-style directory. loadSelector reads each; every layer's CLS attention is within 1e-4 of
 * HF's eager attention on the same pixels, on every backend.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadSelector } from '../../src/scoring/selector.js';
import { CheckpointError } from '../../src/util/errors.js';
import { availableBackends, useBackend } from './helpers.js';

const PYTHON = '.venv/bin/python';

interface Case { name: string; path: string; hfClass: string; prefix: number; eps: number; mean: number[]; std: number[]; attention: number[][] }
interface Cases { patches: number[]; batch: number; size: number; patch: number; bare: string; cases: Case[] }

function pythonReason(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (npm run setup)`;
  const r = spawnSync(PYTHON, ['-c', 'import transformers, torch, safetensors'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `transformers/torch not importable in ${PYTHON}`;
}

const skip = pythonReason();
let root = '';
let data: Cases;

before(() => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'dlth-hf-ckpt-'));
  const r = spawnSync(PYTHON, ['scripts/parity/hf_checkpoints.py', root], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  data = JSON.parse(readFileSync(join(root, 'cases.json'), 'utf8')) as Cases;
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
});

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('every HF ViT/DeiT class, sharded and timm directories: CLS attention within 1e-4 of HF on every backend', { skip }, async () => {
  const n = (data.size / data.patch) ** 2;
  for (const b of await availableBackends()) {
    await useBackend(b);
    let overall = 0;
    for (const c of data.cases) {
      const sel = await loadSelector({ checkpoint: c.path });
      try {
        const cfg = sel.vit.config;
        assert.equal(sel.vit.grid.prefix, c.prefix, c.name);
        assert.equal(cfg.layerNormEps, c.eps, c.name);
        assert.equal(sel.vit.grid.mlpDim, 100, c.name);
        assert.deepEqual(cfg.mean.map((x) => x.toFixed(6)), c.mean.map((x) => x.toFixed(6)), `${c.name}: mean from the processor`);
        assert.equal(cfg.numClasses, /Model$/.test(c.hfClass) ? 0 : 5, c.name);
        assert.equal(cfg.distillHead, c.hfClass === 'DeiTForImageClassificationWithTeacher', c.name);
        const x = tf.tensor3d(data.patches, [data.batch, n, data.patch * data.patch * 3], 'int32');
        const r = sel.vit.forward(x, undefined, { returnAttention: true });
        const rows = (r.clsAttention ?? []).map((t) => t.dataSync());
        tf.dispose([x, r.logits, ...(r.clsAttention ?? [])]);
        assert.equal(rows.length, c.attention.length);
        const worst = Math.max(...rows.map((row, i) => maxAbs(row, c.attention[i])));
        assert.ok(worst <= 1e-4, `${b} ${c.name}: max |Δ attention| ${worst}`);
        overall = Math.max(overall, worst);
      } finally {
        sel.vit.dispose();
      }
    }
    console.log(`${b}: ${data.cases.length} checkpoints, max |Δ CLS attention| vs HF ${overall.toExponential(2)}`);
  }
});

test('a bare safetensors file: loads with config.json beside it, else one line asking for the variant', { skip }, async () => {
  await assert.rejects(loadSelector({ checkpoint: data.bare }), (e: unknown) => e instanceof CheckpointError && e.message.includes(data.bare) && /name its variant \(model: <variant>\)/.test(e.message));
  writeFileSync(join(root, 'bare', 'config.json'), readFileSync(join(root, 'deit-teacher', 'config.json')));
  const sel = await loadSelector({ checkpoint: data.bare });
  assert.equal(sel.vit.grid.prefix, 2);
  assert.equal(sel.preprocessing?.from, 'default');
  sel.vit.dispose();
});

test('other architectures are refused in one line naming what was found and what is supported', { skip }, async () => {
  const dir = join(root, 'swin');
  spawnSync('cp', ['-r', join(root, 'vit-cls-half'), dir]);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'swin', architectures: ['SwinForImageClassification'] }));
  await assert.rejects(loadSelector({ checkpoint: dir }), (e: unknown) => e instanceof CheckpointError
    && /found model_type "swin" \(SwinForImageClassification\); supported: Hugging Face ViTModel, .*DeiTForImageClassificationWithTeacher; timm vit_\*\/deit_\*/.test(e.message)
    && !e.message.includes('\n'));
  rmSync(join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
  await assert.rejects(loadSelector({ checkpoint: dir }), /found only pytorch_model\.bin \(PyTorch pickle\); supported: model\.safetensors or model\.safetensors\.index\.json/);
});

test('dlth score takes an HF directory, a sharded index and a bare file on the CLI; a contradicting geometry exits 3', { skip }, async () => {
  const sharp = (await import('sharp')).default;
  writeFileSync(join(root, 'bare', 'config.json'), readFileSync(join(root, 'deit-teacher', 'config.json')));
  const images = join(root, 'images', 'cls');
  spawnSync('mkdir', ['-p', images]);
  for (let i = 0; i < 3; i++) {
    const raw = Buffer.from(Array.from({ length: 50 * 40 * 3 }, (_, j) => (j * (7 + i)) % 256));
    await sharp(raw, { raw: { width: 50, height: 40, channels: 3 } }).png().toFile(join(images, `${i}.png`));
  }
  const score = (checkpoint: string, out: string, extra: string[] = []) => spawnSync('node', ['--import', 'tsx', 'src/cli/main.ts', 'score', '--source', 'imagefolder', '--root', join(root, 'images'),
    '--checkpoint', checkpoint, '--image-size', '32', '--patch-size', '8', '-o', join(root, out), '-q', ...extra], { encoding: 'utf8' });
  for (const [ckpt, out] of [[join(root, 'deit-cls'), 'scores-dir'], [join(root, 'deit-teacher-sharded', 'model.safetensors.index.json'), 'scores-index'], [data.bare, 'scores-bare']]) {
    const r = score(ckpt, out);
    assert.equal(r.status, 0, `${ckpt}: ${r.stderr}`);
    const meta = (JSON.parse(readFileSync(join(root, out, 'manifest.json'), 'utf8')) as { meta: { mean: number[]; selector: { preprocessing: { from: string } } } }).meta;
    assert.equal(meta.selector.preprocessing.from, ckpt === data.bare ? 'default' : 'hf-processor', ckpt);
  }
  const bad = score(join(root, 'vit-cls-half'), 'scores-bad', ['--image-size', '224', '--patch-size', '16']);
  assert.equal(bad.status, 3, bad.stderr);
  assert.match(bad.stderr, /^dlth: error: --image-size 224×224 contradicts the image size 32×32 of the selector \(checkpoint .*vit-cls-half\); omit --image-size to use the selector's\n$/);
});

test('a pipeline naming an HF directory as its selector is checked against its geometry when loaded', { skip }, async () => {
  const { loadPipeline } = await import('../../src/pipeline/load.js');
  const file = join(root, 'pipeline.json');
  const write = (imageSize: number, patchSize: number) => writeFileSync(file, JSON.stringify({
    name: 'hf-selector', sources: { photos: { kind: 'imagefolder', root: join(root, 'images') } },
    patchify: { imageSize, patchSize }, stages: [{ kind: 'score', name: 'evit', selector: { checkpoint: join(root, 'deit-teacher') }, sources: ['photos'] }],
  }));
  write(32, 8);
  assert.equal((await loadPipeline(file)).pipeline.stages.length, 1);
  write(224, 16);
  await assert.rejects(loadPipeline(file), /stage "evit": selector vit-d48-L4-h3-p8-32x32-distilled takes 32×32 images, patch 8/);
});
