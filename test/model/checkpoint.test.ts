/** Checkpoints: exact save → load round trip, typed errors naming file and key, dtypes, resampling. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, loadCheckpointBytes, saveCheckpoint, serializeCheckpoint } from '../../src/model/checkpoint.js';
import { checkpointFilter, detectFormat } from '../../src/model/checkpoint_filter.js';
import { resolveConfig, variantConfig } from '../../src/model/configs.js';
import { f32ToBf16, f32ToF16, f16ToF32, bf16ToF32 } from '../../src/model/float16.js';
import { resamplePosEmbed } from '../../src/model/pos_embed.js';
import { parseSafetensors, serializeSafetensors, type StateDict } from '../../src/model/safetensors.js';
import { toTimmStateDict } from '../../src/model/timm_state.js';
import { ViT } from '../../src/model/vit.js';
import { CheckpointError } from '../../src/util/errors.js';
import { FIXTURES, useBackend } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dlth-ckpt-'));
before(() => useBackend('cpu'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cfg = resolveConfig({ imageSize: [8, 8], patchSize: 2, channels: 3, dim: 8, depth: 2, heads: 2, numClasses: 3, distilled: true, qkvBias: false });

function statesEqual(a: StateDict, b: StateDict): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, t] of a) {
    assert.deepEqual(b.get(k)?.shape, t.shape, k);
    assert.deepEqual(Array.from(b.get(k)?.data ?? []), Array.from(t.data), k);
  }
}

describe('checkpoints', () => {
  it('save → load round trip is exact, config travels in __metadata__, timm naming on disk', async () => {
    const vit = ViT.init(cfg, 5);
    const path = join(dir, 'a.safetensors');
    await saveCheckpoint(path, vit);
    const { vit: back, format, metadata } = await loadCheckpoint(path);
    assert.equal(format, 'timm');
    assert.equal(metadata.format, 'pt');
    assert.deepEqual(back.config, vit.config);
    statesEqual(toTimmStateDict(cfg, vit.params), toTimmStateDict(back.config, back.params));
    const onDisk = parseSafetensors(readFileSync(path), path).tensors;
    assert.deepEqual(onDisk.get('patch_embed.proj.weight')?.shape, [8, 3, 2, 2]);
    assert.deepEqual(onDisk.get('blocks.1.attn.qkv.weight')?.shape, [24, 8]);
    assert.equal(onDisk.has('blocks.1.attn.qkv.bias'), false);
    const x = tf.randomUniform([2, 16, 12], 0, 255, 'int32') as tf.Tensor3D;
    const [l1, l2] = [vit.forward(x).logits, back.forward(x).logits];
    assert.deepEqual(Array.from(await l1.data()), Array.from(await l2.data()));
    tf.dispose([x, l1, l2]);
    vit.dispose();
    back.dispose();
  });

  it('errors name the file and the missing or mismatched key and shape', () => {
    const vit = ViT.init(cfg, 6);
    const state = toTimmStateDict(cfg, vit.params);
    vit.dispose();
    const missing = new Map(state);
    missing.delete('blocks.1.mlp.fc2.weight');
    assert.throws(() => loadCheckpointBytes(serializeSafetensors(missing), 'm.safetensors', { config: cfg }), (e: unknown) => e instanceof CheckpointError && /m\.safetensors: missing key "blocks\.1\.mlp\.fc2\.weight" \(expected shape \[8,32\]\)/.test(e.message));
    const wrong = new Map(state);
    wrong.set('norm.weight', { shape: [9], data: new Float32Array(9) });
    assert.throws(() => loadCheckpointBytes(serializeSafetensors(wrong), 'w.safetensors', { config: cfg }), /w\.safetensors: key "norm\.weight" has shape \[9\], the model expects \[8\]/);
    const extra = new Map(state);
    extra.set('fc_norm.weight', { shape: [8], data: new Float32Array(8) });
    assert.throws(() => loadCheckpointBytes(serializeSafetensors(extra), 'x.safetensors', { config: cfg }), /unexpected keys.*fc_norm\.weight/);
    assert.throws(() => loadCheckpointBytes(serializeSafetensors(state), 'n.safetensors'), /no model config/);
    assert.throws(() => detectFormat(['foo.bar'], 'f.safetensors'), /f\.safetensors: unrecognised checkpoint naming/);
    const bytes = serializeSafetensors(state);
    assert.throws(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), 't.safetensors'), /t\.safetensors: tensor .* data_offsets/);
    assert.throws(() => parseSafetensors(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1]), 'h.safetensors'), /header length/);
  });

  it('f16 and bf16 encode/decode round trips (exact on representable values) and through safetensors', () => {
    const vals = Float32Array.from([0, -0, 1, -2.5, 65504, 6.103515625e-5, 2 ** -24, 0.333251953125, Infinity, -Infinity]);
    assert.deepEqual(Array.from(f16ToF32(f32ToF16(vals))), Array.from(vals));
    const b = Float32Array.from([0, 1, -3.140625, 2 ** -130, 3.3895313892515355e+38]);
    assert.deepEqual(Array.from(bf16ToF32(f32ToBf16(b))), Array.from(b));
    assert.equal(f16ToF32(f32ToF16(Float32Array.from([1 + 2 ** -11])))[0], 1); // ties to even
    const sd: StateDict = new Map([['w', { shape: [2, 2], data: Float32Array.from([1, -0.5, 0.25, 2]) }]]);
    for (const dt of ['F16', 'BF16', 'F32'] as const) assert.deepEqual(Array.from(parseSafetensors(serializeSafetensors(sd, {}, dt), 'd').tensors.get('w')?.data ?? []), [1, -0.5, 0.25, 2]);
  });

  it('HF naming is recognised and fused into timm qkv; pos_embed is resampled to a new grid', () => {
    const deit = parseSafetensors(readFileSync(join(FIXTURES, 'deit-p8-32.safetensors')), 'deit');
    const timm = parseSafetensors(readFileSync(join(FIXTURES, 'deit-p8-32.timm.safetensors')), 'timm');
    const { format, state } = checkpointFilter(deit.tensors, { grid: [4, 4], prefix: 2 }, 'deit');
    assert.equal(format, 'hf');
    assert.deepEqual([...state.keys()].sort(), [...timm.tensors.keys()].sort());
    for (const [k, t] of timm.tensors) assert.deepEqual(Array.from(state.get(k)?.data ?? []), Array.from(t.data), k);
    const up = checkpointFilter(deit.tensors, { grid: [6, 6], prefix: 2 }, 'deit').state.get('pos_embed');
    assert.deepEqual(up?.shape, [1, 2 + 36, 64]);
    const pos = timm.tensors.get('pos_embed');
    assert.ok(pos);
    assert.deepEqual(Array.from(up?.data.subarray(0, 128) ?? []), Array.from(pos.data.subarray(0, 128)), 'prefix rows kept');
    const same = resamplePosEmbed(pos, 2, [4, 4]);
    assert.equal(same, pos);
    // A constant grid stays constant (the bicubic weights sum to 1).
    const flat = { shape: [1, 1 + 9, 2], data: new Float32Array(20).fill(0.5) };
    assert.ok(Array.from(resamplePosEmbed(flat, 1, [5, 5]).data).every((v) => Math.abs(v - 0.5) < 1e-6));
  });

  it('serializeCheckpoint of a named variant loads back without a config', () => {
    const vit = ViT.init(variantConfig('vit-micro-p4-28'), 1);
    const back = loadCheckpointBytes(serializeCheckpoint(vit), 'mem').vit;
    assert.equal(back.config.dim, 64);
    assert.deepEqual(back.config.imageSize, [28, 28]);
    vit.dispose();
    back.dispose();
  });
});
