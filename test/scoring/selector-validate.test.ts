/** A pipeline whose score-stage checkpoint cannot take its geometry fails at load, before any work, in one line (exit 3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { InputError } from '../../src/util/errors.js';

function pipeline(checkpoint: string, imageSize: number, patchSize: number): object {
  return {
    name: 'geometry-check', seed: 0,
    sources: { train: { kind: 'idx', dir: resolve('data/fashion-mnist-mini'), split: 'train' } },
    patchify: { imageSize, patchSize, channels: 1, resize: 'none' },
    stages: [{ kind: 'score', name: 'evit', selector: { checkpoint }, sources: ['train'] }],
  };
}

test('checkpoint geometry is checked when the pipeline is loaded (headers only), with the stage named', async () => {
  await initBackend({ backend: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'dlth-sel-validate-'));
  try {
    const ckpt = join(dir, 'selector.safetensors');
    const vit = ViT.init(variantConfig('vit-micro-p4-28'), 1);
    await saveCheckpoint(ckpt, vit);
    vit.dispose();
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify(pipeline(ckpt, 28, 4)));
    const ok = await loadPipeline(file);
    assert.equal(ok.pipeline.stages.length, 1);
    writeFileSync(file, JSON.stringify(pipeline(ckpt, 32, 8)));
    await assert.rejects(loadPipeline(file), (e: unknown) => e instanceof InputError && e.message.includes('stage "evit"')
      && /takes 28×28 images, patch 4, 1 channel\(s\); patchify makes 32×32, patch 8/.test(e.message) && !e.message.includes('\n'));
    writeFileSync(file, JSON.stringify(pipeline(join(dir, 'missing.safetensors'), 28, 4)));
    await assert.rejects(loadPipeline(file), (e: unknown) => e instanceof InputError && /missing\.safetensors: no such file or directory/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
