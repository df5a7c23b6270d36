/**
 * `--set` / `modelOverrides` are validated once, before anything is allocated: known fields only
 * (the refusal lists them), each of its type and within its bounds, the relations between fields,
 * and the memory the model's weights, gradients and AdamW moments need against a settable limit.
 * Every refusal is one InputError line (exit 3), never an internal error or minutes of allocation.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namedVariables } from '../../src/model/weights.js';
import { resolveConfig, variantConfig, VIT_CONFIG_FIELDS, parameterCount, type ViTConfigInput } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { checkModelMemory } from '../../src/trainer/memory.js';
import { resolveTrainConfig, TRAIN_DEFAULTS } from '../../src/trainer/config.js';
import { modelConfigFor } from '../../src/trainer/datasets.js';
import { InputError, ModelError } from '../../src/util/errors.js';
import { initBackend } from '../../src/backend/init.js';
import { parseSetFlags } from '../../src/cli/train.js';
import { runCli } from '../cli/run-cli.js';
import { makeFashionDataset } from './fixture.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const base = { train: '/data/t', model: 'vit-micro-p4-28', out: '/tmp/o' };
const refused = (overrides: Record<string, unknown>, why: RegExp): void => {
  assert.throws(() => resolveTrainConfig({ ...base, modelOverrides: overrides as ViTConfigInput }), (e) => e instanceof InputError && why.test(e.message), JSON.stringify(overrides));
};

test('model overrides: unknown fields are refused with the list of known ones', () => {
  refused({ dpeth: 2 }, new RegExp(`unknown model config field "dpeth"; known: ${VIT_CONFIG_FIELDS.join(', ')}$`));
  refused(parseSetFlags(['__proto__={"depth":5}']), /unknown model config field "__proto__"/);
  assert.ok(VIT_CONFIG_FIELDS.includes('depth') && VIT_CONFIG_FIELDS.includes('mlpRatio'));
});

test('model overrides: each field has its type and bounds', () => {
  refused({ depth: 1e9 }, /depth = 1000000000 \(want an integer in \[1, 1024\]\)/);
  refused({ dim: 100000 }, /dim = 100000 \(want an integer in \[1, 16384\]\)/);
  refused({ depth: 2.5 }, /depth = 2\.5 \(want an integer/);
  refused({ depth: '2' }, /depth = "2" \(want an integer/);
  refused({ heads: 0 }, /heads = 0/);
  refused({ numClasses: -1 }, /numClasses = -1 \(want an integer in \[0, 1000000\] \(0: no head\)\)/);
  refused({ qkvBias: 'yes' }, /qkvBias = "yes" \(want true or false\)/);
  refused({ mlpRatio: 0 }, /mlpRatio = 0/);
  refused({ imageSize: [28] }, /imageSize = \[28\]/);
  refused({ mean: ['a'] }, /mean = \["a"\]/);
  refused({ std: [0] }, /std = \[0\]/);
  refused({ layerNormEps: 1 }, /layerNormEps = 1/);
  assert.deepEqual(resolveTrainConfig({ ...base, modelOverrides: { depth: 2, mean: [0.3], qkvBias: false } }).modelOverrides, { depth: 2, mean: [0.3], qkvBias: false });
});

test('model overrides: relations between fields are the caller\'s input error (InputError), a checkpoint\'s stay ModelError', () => {
  const meta = { mean: [0.5], std: [0.5], numClasses: 10 } as Parameters<typeof modelConfigFor>[1];
  assert.throws(() => modelConfigFor('vit-micro-p4-28', meta, { dim: 100, heads: 3 }), (e) => e instanceof InputError && /heads = 3 \(want a divisor of dim 100\)/.test(e.message));
  assert.throws(() => modelConfigFor('vit-micro-p4-28', meta, { patchSize: 5 }), (e) => e instanceof InputError && /imageSize/.test(e.message));
  assert.throws(() => modelConfigFor('no-such-model', meta, {}), (e) => e instanceof InputError && /unknown model variant/.test(e.message));
  assert.throws(() => resolveConfig({ dim: 100, heads: 3 }), ModelError);
  assert.throws(() => resolveConfig({ extra: 1 } as ViTConfigInput), (e) => e instanceof ModelError && /unknown model config field "extra"/.test(e.message));
});

test('parameterCount is the number of parameters the model has', () => {
  const configs: ViTConfigInput[] = [
    {},
    { qkvBias: false, numClasses: 0 },
    { distilled: true, numClasses: 7 },
    { distilled: true, distillHead: false, mlpRatio: 2.5, depth: 3 },
  ];
  for (const o of configs) {
    const config = variantConfig('vit-micro-p4-28', { dim: 16, heads: 2, depth: 2, ...o });
    const vit = ViT.init(config, 1);
    const vars = namedVariables(vit.params).map(([, v]) => v.size);
    assert.deepEqual(parameterCount(config), { total: vars.reduce((a, b) => a + b, 0), largest: Math.max(...vars) }, JSON.stringify(o));
    vit.dispose();
  }
});

test('checkModelMemory: 16 bytes a parameter against the limit and the machine; one line naming the option', () => {
  const micro = variantConfig('vit-micro-p4-28');
  const { total } = parameterCount(micro);
  assert.deepEqual(checkModelMemory(micro, 'vit-micro-p4-28', TRAIN_DEFAULTS.maxModelBytes), { parameters: total, bytes: 16 * total });
  assert.throws(() => checkModelMemory(micro, 'vit-micro-p4-28', 16 * total - 1), /model vit-micro-p4-28 \(dim 64, depth 4, .*\) has [\d,]+ parameters: .* over the 0\.003 GiB limit \(raise it with --max-model-memory <GiB>\)/);
  const big = variantConfig('vit-micro-p4-28', { dim: 4096, depth: 24, heads: 4 });
  assert.throws(() => checkModelMemory(big, 'vit-micro-p4-28', TRAIN_DEFAULTS.maxModelBytes), /need 72\.\d GiB, over the 4\.0 GiB limit/);
  assert.throws(() => checkModelMemory(big, 'vit-micro-p4-28', 2 ** 50, 8 * 1024 ** 3), /over this machine's 8\.0 GiB of memory/);
  assert.throws(() => resolveTrainConfig({ ...base, maxModelBytes: 0 }), /maxModelBytes = 0/);
});

test('dlth train --set: out-of-bounds, unknown and too-large models end in one line, exit 3, within seconds', { timeout: 240_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-model-limits-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 16 });
  const train = (...args: string[]) => runCli(['train', '--train', data, '--model', 'vit-micro-p4-28', '--steps', '1', '-q', '-o', join(root, 'out'), ...args], { timeoutMs: 90_000 });
  const cases: [string[], RegExp][] = [
    [['--set', 'depth=1e9'], /^dlth: error: invalid model config: depth = 1000000000 \(want an integer in \[1, 1024\]\)$/],
    [['--set', 'colour=red'], /^dlth: error: unknown model config field "colour"; known: imageSize, patchSize, /],
    [['--set', 'dim=4096', '--set', 'depth=24'], /^dlth: error: model vit-micro-p4-28 \(dim 4096, depth 24, .*over the 4\.0 GiB limit \(raise it with --max-model-memory <GiB>\)$/],
    [['--max-model-memory', '0.001'], /^dlth: error: model vit-micro-p4-28 .* over the 0\.001 GiB limit/],
  ];
  const results = await Promise.all(cases.map(([args]) => train(...args)));
  results.forEach((r, i) => {
    assert.equal(r.killed, false, r.stderr);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.lines.length, 1, r.stderr);
    assert.match(r.lines[0], cases[i][1]);
  });
});
