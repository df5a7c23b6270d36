/**
 * Parity with Hugging Face transformers (fixtures from scripts/parity/make_fixtures.py): logits and
 * every layer's head-averaged CLS → patch attention, on every available backend, within 1e-4
 * relative (see `compare`). Max errors are printed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { configFromHf, type HfVitConfigJson } from '../../src/model/hf_config.js';
import { loadCheckpointBytes } from '../../src/model/checkpoint.js';
import { serializeSafetensors } from '../../src/model/safetensors.js';
import { availableBackends, compare, FIXTURES, loadFixture, useBackend, type ParityFixture } from './helpers.js';
import { prngStateDict } from './prng.js';

const backends = await availableBackends();
const report: string[] = [];
after(() => console.log(`parity max errors (relative | absolute):\n${report.join('\n')}`));

function weightsOf(fx: ParityFixture, which: 'hf' | 'timm'): Uint8Array {
  const file = fx.files[which];
  if (file) return readFileSync(join(FIXTURES, file));
  assert.ok(fx.prng.keys, `${fx.name}: no weights file and no key list`);
  return serializeSafetensors(prngStateDict(fx.prng.keys, fx.prng.seed));
}

async function check(backend: string, fx: ParityFixture, which: 'hf' | 'timm'): Promise<void> {
  await useBackend(backend);
  const config = configFromHf(fx.hfConfig as HfVitConfigJson, { mean: fx.mean, std: fx.std });
  const { vit, format } = loadCheckpointBytes(weightsOf(fx, which), `${fx.name}:${which}`, { config });
  assert.equal(format, which);
  const before = tf.memory().numTensors;
  const patches = tf.tensor3d(Int32Array.from(fx.patches), fx.patchesShape, 'int32');
  const { logits, clsAttention } = vit.forward(patches, undefined, { returnAttention: true });
  const got = { logits: await logits.data(), attn: await Promise.all((clsAttention ?? []).map((a) => a.data())) };
  tf.dispose([patches, logits, ...(clsAttention ?? [])]);
  assert.equal(tf.memory().numTensors, before, 'forward leaked tensors');
  vit.dispose();
  const l = compare(got.logits, fx.logits);
  const a = fx.clsAttention.map((ref, i) => compare(got.attn[i], ref));
  const worstA = a.reduce((m, c) => (c.maxRel > m.maxRel ? c : m), { maxAbs: 0, maxRel: 0, ok: true });
  report.push(`  ${backend.padEnd(10)} ${`${fx.name} (${which})`.padEnd(24)} logits ${l.maxRel.toExponential(2)} | ${l.maxAbs.toExponential(2)}   cls-attn ${worstA.maxRel.toExponential(2)} | ${worstA.maxAbs.toExponential(2)}`);
  assert.ok(l.ok, `${fx.name} logits: max rel ${l.maxRel} abs ${l.maxAbs}`);
  assert.equal(a.length, fx.clsAttention.length);
  a.forEach((c, i) => assert.ok(c.ok, `${fx.name} layer ${i} CLS attention: max rel ${c.maxRel} abs ${c.maxAbs}`));
}

for (const backend of backends) {
  describe(`HF parity on ${backend}`, () => {
    it('ViTForImageClassification 32×32 p8 (bf16 safetensors, HF naming)', () => check(backend, loadFixture('vit-p8-32'), 'hf'));
    it('DeiTForImageClassificationWithTeacher 32×32 p8 (f16, HF naming)', () => check(backend, loadFixture('deit-p8-32'), 'hf'));
    it('the same DeiT renamed to timm naming (f32)', () => check(backend, loadFixture('deit-p8-32'), 'timm'));
    it('DeiT-small shaped (dim 384, 6 heads, depth 2, 64×64 p16, eps 1e-6)', () => check(backend, loadFixture('deit-s-d2-64'), 'hf'));
  });
}
