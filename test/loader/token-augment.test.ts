/**
 * Token augmentations (issue 27): colour jitter, token random erasing, token mixup/cutmix with soft
 * targets. The golden cases (test/fixtures/augment/golden.json, written by make.py from the Python
 * package on real Fashion-MNIST and photo tickets) must come out byte for byte here too
 * (python/tests/test_token_augment.py checks the Python side against the same file); the loader's
 * batches are those functions applied to its plain batches; bad options are refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { augmentBatch, augmentPlan, augmentRow, resolveTokenAugment, type TokenAugmentOptions } from '../../src/loader/augment/tokens.js';
import { jitterRanges, jitterRow, meanGray } from '../../src/loader/augment/jitter.js';
import { mixBatch } from '../../src/loader/augment/mix.js';
import { Rng } from '../../src/loader/rng.js';
import { TicketLoader } from '../../src/loader/loader.js';
import { InputError } from '../../src/util/errors.js';
import { ROOT } from '../reliability/helpers.js';
import { collect, tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';

interface GoldenCase {
  seed: number;
  epoch: number;
  options: Record<string, unknown>;
  rowsSha256: string;
  patches: string;
  targets: string;
  lam: number[];
}
interface GoldenGroup {
  name: string;
  meta: { patchSize: number; channels: number; grid: [number, number]; mean: number[]; std: number[]; numClasses: number };
  rows: { id: string; label: number; positions: number[]; patches: string }[];
  cases: GoldenCase[];
}

const GOLDEN = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/augment/golden.json'), 'utf8')) as { groups: GoldenGroup[] };

/** timm's snake_case names (the fixture's, as Python takes them) → the loader's options. */
function camel(o: Record<string, unknown>): TokenAugmentOptions {
  const names: Record<string, keyof TokenAugmentOptions> = {
    color_jitter: 'colorJitter', reprob: 'reprob', remode: 'remode', recount: 'recount', mixup_alpha: 'mixupAlpha',
    cutmix_alpha: 'cutmixAlpha', mix_prob: 'mixProb', switch_prob: 'switchProb', label_smoothing: 'labelSmoothing',
  };
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [names[k], v])) as TokenAugmentOptions;
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

test('golden: jitter, erasing, mixup and cutmix give the Python package\'s bytes on real tickets', () => {
  let mixedRows = 0;
  for (const g of GOLDEN.groups) {
    const k = g.rows[0].positions.length;
    const R = k * g.meta.patchSize ** 2 * g.meta.channels;
    const n = g.rows.length;
    for (const c of g.cases) {
      const where = `${g.name} seed ${c.seed} epoch ${c.epoch}`;
      const plan = augmentPlan(resolveTokenAugment(camel(c.options)), g.meta);
      const patches = new Uint8Array(n * R);
      g.rows.forEach((r, i) => patches.set(bytes(r.patches), i * R));
      const positions = Uint16Array.from(g.rows.flatMap((r) => r.positions));
      const labels = Int32Array.from(g.rows.map((r) => r.label));
      const ids = g.rows.map((r) => r.id);
      for (let i = 0; i < n; i++) augmentRow(plan, patches.subarray(i * R, (i + 1) * R), positions.subarray(i * k, (i + 1) * k), ids[i], c.seed, c.epoch);
      assert.equal(createHash('sha256').update(patches).digest('hex'), c.rowsSha256, `${where}: jitter + erasing`);
      const targets = new Float32Array(n * g.meta.numClasses);
      const mix = plan.augment.mix;
      assert.ok(mix, where);
      const lam = mixBatch({ size: n, patches, positions, labels, ids }, c.seed, c.epoch, mix, { ...plan.mix, k }, new Uint8Array(n * R), targets);
      assert.deepEqual(Array.from(lam), c.lam, `${where}: λ`);
      assert.deepEqual(patches, bytes(c.patches), `${where}: mixed patches`);
      assert.deepEqual(new Uint8Array(targets.buffer), bytes(c.targets), `${where}: soft targets`);
      mixedRows += c.lam.filter((l) => l !== 1).length;
    }
  }
  assert.ok(mixedRows > 20, `the cases mix rows (${mixedRows})`);
});

test('off by default: the loader yields no targets and the stored bytes; options all off resolve to nothing', async () => {
  assert.deepEqual(resolveTokenAugment({}), { jitter: null, erase: null, mix: null });
  assert.deepEqual(resolveTokenAugment({ colorJitter: [0, 0, 0], reprob: 0, mixupAlpha: 0, cutmixAlpha: 0 }), { jitter: null, erase: null, mix: null });
});

test('loader: augmented batches are the functions applied to the plain batches (flip and seed kept), targets sum to 1', async () => {
  const meta = ticketMeta({ image: 32, patch: 8, channels: 3, k: 6 });
  const rows = ticketRows(meta, 40).map((r, i) => ({ ...r, label: i % 10 }));
  const dir = join(await tempDir(), 'aug');
  await writeDataset(dir, meta, rows, 12_000);
  const augment: TokenAugmentOptions = { colorJitter: 0.4, reprob: 0.7, remode: 'rand', recount: 2, mixupAlpha: 0.8, cutmixAlpha: 1, labelSmoothing: 0.1 };
  const common = { batchSize: 9, seed: 5, flip: true };
  const plain = await TicketLoader.open([dir], common);
  const aug = await TicketLoader.open([dir], { ...common, augment });
  const plan = augmentPlan(resolveTokenAugment(augment), plain.meta);
  for (const epoch of [0, 2]) {
    const want = await collect(plain.batches(epoch));
    const got: { patches: Uint8Array; targets: Float32Array }[] = [];
    for await (const b of aug.batches(epoch)) got.push({ patches: b.patches.slice(), targets: (b.targets as Float32Array).slice() });
    assert.equal(got.length, want.length);
    want.forEach((w, j) => {
      const targets = new Float32Array(w.size * 10);
      const out = augmentBatch(plan, { size: w.size, k: 6, patches: w.patches, positions: w.positions, labels: Int32Array.from(w.labels), ids: w.ids }, 5, epoch, new Uint8Array(w.patches.length), targets);
      assert.deepEqual(got[j].patches, w.patches, `epoch ${epoch} batch ${j}`);
      assert.deepEqual(got[j].targets, out, `epoch ${epoch} batch ${j} targets`);
      for (let i = 0; i < w.size; i++) {
        const sum = got[j].targets.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} targets sum to ${sum}`);
      }
    });
  }
  for await (const b of plain.batches(0)) assert.equal(b.targets, null);
});

test('bad options: one line naming the option and the value', async () => {
  const bad: [TokenAugmentOptions, RegExp][] = [
    [{ mixupAlpha: -1 }, /augmentation mixupAlpha = -1 is invalid/],
    [{ cutmixAlpha: Number.NaN }, /augmentation cutmixAlpha = /],
    [{ mixProb: 1.5 }, /mixProb = 1\.5 is invalid \(want a probability in \[0, 1\]\)/],
    [{ switchProb: -0.1 }, /switchProb/],
    [{ reprob: 2 }, /reprob = 2/],
    [{ colorJitter: -0.4 }, /colorJitter = -0\.4 is invalid/],
    [{ colorJitter: [0.4, 0.4, 0.4, 0.1] }, /hue is not supported/],
    [{ remode: 'zero' as 'const' }, /remode = "zero" is invalid \(want const, rand, pixel\)/],
    [{ recount: 0 }, /recount = 0/],
    [{ labelSmoothing: 1 }, /labelSmoothing = 1/],
  ];
  for (const [o, re] of bad) {
    assert.throws(() => resolveTokenAugment(o), (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'), JSON.stringify(o));
  }
  const meta = { ...ticketMeta({ k: 6 }), numClasses: null };
  const dir = join(await tempDir(), 'nolabels');
  await writeDataset(dir, meta, ticketRows(meta, 5));
  await assert.rejects(TicketLoader.open([dir], { augment: { mixupAlpha: 1 } }), /nolabels: mixup\/cutmix need class labels/);
});

test('contrast blends with the mean gray of the kept pixels only; saturation leaves gray rows alone', () => {
  const ranges = jitterRanges([0, 0.5, 0]);
  for (let seed = 0; seed < 20; seed++) {
    const px = Uint8Array.from({ length: 64 }, (_, i) => (i < 32 ? 0 : 200)); // mean 100 over the kept pixels
    jitterRow(px, 1, ranges, new Rng(seed));
    const [lo, hi] = [px[0] as number, px[63] as number];
    assert.ok(px.subarray(0, 32).every((v) => v === lo) && px.subarray(32).every((v) => v === hi));
    // r·x + (1 − r)·100: symmetric about the mean 100 unless clamped at 0 (factor r > 1)
    assert.ok(lo > 0 ? Math.abs(lo + hi - 200) <= 1 && hi < 200 : hi >= 200, `seed ${seed}: ${lo}, ${hi} not symmetric about 100`);
  }
  const flat = new Uint8Array(48).fill(77);
  jitterRow(flat, 3, jitterRanges([0, 0.9, 0]), new Rng(1)); // one colour: contrast changes nothing
  assert.ok(flat.every((v) => v === 77));
  const gray = Uint8Array.from({ length: 48 }, (_, i) => (i * 37) % 256);
  const before = gray.slice();
  jitterRow(gray, 1, jitterRanges([0, 0, 0.9]), new Rng(1)); // saturation of 1 channel: the identity
  assert.deepEqual(gray, before);
  assert.equal(meanGray(Uint8Array.from([255, 0, 0, 0, 255, 0]), 3), Math.fround((76 + 149) / 2)); // truncated 0.2989·255, 0.587·255
});
