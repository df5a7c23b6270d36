/** `--model` beside a checkpoint that describes itself (the pipeline passes the train stage's model) does not override it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { inspectSelector, loadSelector } from '../../src/scoring/selector.js';

test('a dlth checkpoint keeps its own normalisation, eps and shape when a variant is named too', async () => {
  await initBackend({ backend: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'dlth-sel-own-'));
  try {
    const ckpt = join(dir, 'model.safetensors');
    const config = variantConfig('vit-micro-p4-28', { mean: [0.286], std: [0.353], layerNormEps: 1e-5, depth: 2 });
    const vit = ViT.init(config, 1);
    await saveCheckpoint(ckpt, vit);
    vit.dispose();
    const sel = await loadSelector({ checkpoint: ckpt, model: 'vit-micro-p4-28' });
    try {
      assert.equal(sel.model, 'vit-micro-p4-28');
      assert.deepEqual(sel.vit.config.mean, [0.286]);
      assert.deepEqual(sel.vit.config.std, [0.353]);
      assert.equal(sel.vit.config.layerNormEps, 1e-5);
      assert.equal(sel.vit.config.depth, 2);
      assert.equal(sel.preprocessing?.from, 'model-config');
    } finally {
      sel.vit.dispose();
    }
    const d = await inspectSelector({ checkpoint: ckpt, model: 'vit-micro-p4-28' });
    assert.deepEqual([d.config.mean, d.config.layerNormEps, d.config.depth], [[0.286], 1e-5, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an HF config.json beside the weights wins over a named variant (eps 1e-12)', async () => {
  await initBackend({ backend: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'dlth-sel-hf-'));
  try {
    const vit = ViT.init(variantConfig('vit-micro-p4-28'), 1);
    const ckpt = join(dir, 'model.safetensors');
    await saveCheckpoint(ckpt, vit);
    vit.dispose();
    // The metadata would win; an HF-style directory has none, so write the weights without it.
    const content = await readSafetensors(ckpt);
    await writeSafetensors(ckpt, content.tensors, { format: 'pt' });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      model_type: 'vit', image_size: 28, patch_size: 4, num_channels: 1, hidden_size: 64, num_hidden_layers: 4,
      num_attention_heads: 4, intermediate_size: 256, layer_norm_eps: 1e-12, qkv_bias: true,
    }));
    const d = await inspectSelector({ checkpoint: ckpt, model: 'vit-micro-p4-28' });
    assert.equal(d.config.layerNormEps, 1e-12);
    assert.equal(d.name, 'vit-micro-p4-28');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
