/**
 * What the path given as a checkpoint is: a path that does not exist is the caller's mistake
 * (InputError naming it), a config.json named instead of the weights is refused saying so, a JSON
 * index is read by its content whatever its name, a shard an index names that does not exist is a
 * broken checkpoint, and a file that is not safetensors is described (JSON, PyTorch zip or pickle,
 * image, text, or its first 8 bytes) instead of quoting a meaningless header length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { locateCheckpoint } from '../../src/model/checkpoint_dir.js';
import { variantConfig } from '../../src/model/configs.js';
import { parseSafetensors } from '../../src/model/safetensors.js';
import { readSafetensorsHeader } from '../../src/model/safetensors_header.js';
import { ViT } from '../../src/model/vit.js';
import { loadSelector } from '../../src/scoring/selector.js';
import { CheckpointError, InputError } from '../../src/util/errors.js';
import { withDir } from '../sources/helpers.js';

/** The config.json transformers' ViTConfig.save_pretrained writes (4.x/5.x field set). */
const HF_CONFIG = {
  architectures: ['ViTModel'], attention_probs_dropout_prob: 0, encoder_stride: 16, hidden_act: 'gelu', hidden_dropout_prob: 0,
  hidden_size: 48, image_size: 28, initializer_range: 0.02, intermediate_size: 96, layer_norm_eps: 1e-12, model_type: 'vit',
  num_attention_heads: 3, num_channels: 1, num_hidden_layers: 2, patch_size: 7, qkv_bias: true, torch_dtype: 'float32', transformers_version: '4.46.0',
};

test('a checkpoint path that does not exist: InputError naming it (also below a file: ENOTDIR)', withDir('dlth-ckpt-path-', async (dir) => {
  for (const missing of [join(dir, 'nope'), join(dir, 'nope.safetensors'), join(dir, 'file', 'below')]) {
    writeFileSync(join(dir, 'file'), 'x');
    await assert.rejects(locateCheckpoint(missing), (e: unknown) => e instanceof InputError && e.message === `${missing}: no such file or directory (the checkpoint)`);
  }
}));

test('config.json named as the checkpoint: refused as a config file, naming its directory', withDir('dlth-ckpt-path-', async (dir) => {
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(HF_CONFIG, null, 2));
  await assert.rejects(locateCheckpoint(config), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.message, `${config}: a config file (JSON), not the weights: pass its directory (${dir}) or the .safetensors file`);
    return true;
  });
  // the readers say the same of JSON, whatever path reached them
  await assert.rejects(readSafetensorsHeader(config), /config\.json: not a safetensors file: it is JSON \(a config file\?\): pass the model directory or its \.safetensors file$/);
  assert.throws(() => parseSafetensors(new TextEncoder().encode(JSON.stringify(HF_CONFIG)), 'c.json'), /not a safetensors file: it is JSON/);
}));

test('a JSON index under any name is read by its content; a shard it names that does not exist is a broken checkpoint', withDir('dlth-ckpt-path-', async (dir) => {
  await initBackend({ backend: 'cpu' });
  const vit = ViT.init(variantConfig('vit-micro-p4-28'), 1);
  await saveCheckpoint(join(dir, 'part.safetensors'), vit);
  vit.dispose();
  const names = [...(await readSafetensorsHeader(join(dir, 'part.safetensors'))).shapes.keys()];
  const index = join(dir, 'weights.json');
  writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: Object.fromEntries(names.map((n) => [n, 'part.safetensors'])) }));
  const files = await locateCheckpoint(index);
  assert.deepEqual(files.weights, [join(dir, 'part.safetensors')]);
  writeFileSync(index, JSON.stringify({ weight_map: { [names[0]]: 'gone.safetensors' } }));
  await assert.rejects(locateCheckpoint(index), (e: unknown) => e instanceof CheckpointError
    && e.message === `${index}: sharded checkpoint index: shard "gone.safetensors" does not exist`);
}));

test('files that are not safetensors are described by what they are', withDir('dlth-ckpt-path-', async (dir) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['model.pt', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, 1, 2]), /it is a zip archive \(PyTorch's torch\.save format/],
    ['weights.bin.safetensors', Uint8Array.from([0x80, 0x02, 0x63, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63]), /it is a Python pickle/],
    ['photo.safetensors', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]), /it is a PNG image/],
    ['notes.safetensors', new TextEncoder().encode('hello, this is text\n'), /it is text \(starts "hello, t"\)/],
    ['noise.safetensors', Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), /the first 8 bytes \(01 02 03 04 05 06 07 08\) give a header length of 578437695752307200, beyond the 10-byte file/],
    ['tiny.safetensors', Uint8Array.from([1, 2, 3]), /not a safetensors file: 3 bytes$/],
  ];
  for (const [name, bytes, why] of cases) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    assert.throws(() => parseSafetensors(bytes, file), (e: unknown) => e instanceof CheckpointError && e.message.startsWith(`${file}: not a safetensors file: `) && why.test(e.message), name);
    await assert.rejects(readSafetensorsHeader(file), (e: unknown) => e instanceof CheckpointError && why.test(e.message), name);
  }
}));

test('loadSelector: a missing checkpoint is an InputError, a directory holding config.json is read as before', withDir('dlth-ckpt-path-', async (dir) => {
  await assert.rejects(loadSelector({ checkpoint: join(dir, 'missing') }), InputError);
  mkdirSync(join(dir, 'hf'));
  writeFileSync(join(dir, 'hf', 'config.json'), JSON.stringify(HF_CONFIG));
  await assert.rejects(loadSelector({ checkpoint: join(dir, 'hf', 'config.json') }), (e: unknown) => e instanceof InputError && /pass its directory/.test(e.message));
  await assert.rejects(loadSelector({ checkpoint: join(dir, 'hf') }), (e: unknown) => e instanceof CheckpointError && /found no weights \(config\.json\)/.test(e.message));
}));
