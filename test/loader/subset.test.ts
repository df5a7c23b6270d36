/**
 * Loader options for the paper's baselines and ablations: `subset` (a random k-subset of each row's
 * stored patches, redrawn every epoch, keyed by seed, epoch and sample id) and `content: 'mean'`
 * (the position-only ablation: every patch replaced by the dataset's mean colour).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import { meanPixel } from '../../src/loader/augment/content.js';
import { subsetIndices } from '../../src/loader/augment/subset.js';
import { InputError } from '../../src/util/errors.js';
import { collect, tempDir, ticketMeta, ticketRows, writeDataset, type CopiedBatch } from './helpers.js';

const meta = ticketMeta({ image: 32, patch: 8, channels: 3, k: 16 }); // a full grid: 16 of 16 patches
const PB = 8 * 8 * 3;
const rows = ticketRows(meta, 50);
const byId = new Map(rows.map((r) => [r.id, r]));

async function dataset(): Promise<string> {
  const dir = join(await tempDir(), 'full');
  await writeDataset(dir, meta, rows, 20_000);
  return dir;
}

/** Each yielded row's patches are the stored patches at the same positions, positions ascending. */
function checkRows(batches: CopiedBatch[], k: number): void {
  for (const b of batches) {
    for (let i = 0; i < b.size; i++) {
      const src = byId.get(b.ids[i]);
      assert.ok(src);
      const pos = b.positions.subarray(i * k, (i + 1) * k);
      for (let j = 0; j < k; j++) {
        if (j > 0) assert.ok(pos[j] > pos[j - 1], 'positions ascending');
        const at = src.positions.indexOf(pos[j]);
        assert.ok(at >= 0, 'a stored position');
        assert.deepEqual(b.patches.subarray((i * k + j) * PB, (i * k + j + 1) * PB), src.patches.subarray(at * PB, (at + 1) * PB));
        assert.equal(b.scores[i * k + j], src.scores[at]);
      }
    }
  }
}

const positionsById = (batches: CopiedBatch[], k: number): Map<string, string> =>
  new Map(batches.flatMap((b) => b.ids.map((id, i) => [id, b.positions.subarray(i * k, (i + 1) * k).join(',')] as [string, string])));

test('subsetIndices: k ascending distinct indices, keyed by (seed, epoch, id), about uniform', () => {
  const a = subsetIndices(1, 0, 'x', 49, 18);
  assert.equal(a.length, 18);
  for (let i = 1; i < 18; i++) assert.ok(a[i] > a[i - 1] && a[i] < 49);
  assert.deepEqual(subsetIndices(1, 0, 'x', 49, 18), a);
  for (const other of [subsetIndices(2, 0, 'x', 49, 18), subsetIndices(1, 1, 'x', 49, 18), subsetIndices(1, 0, 'y', 49, 18)]) assert.notDeepEqual(other, a);
  const counts = new Array(16).fill(0);
  for (let i = 0; i < 4000; i++) for (const j of subsetIndices(0, i % 7, String(i), 16, 4)) counts[j]++;
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 150, `count ${c}`);
});

test('subset: k patches per row from the stored ones, redrawn every epoch, the same on a rerun', async () => {
  const dir = await dataset();
  const loader = await TicketLoader.open([dir], { batchSize: 8, subset: 5, seed: 4 });
  assert.equal(loader.k, 5);
  const e0 = await collect(loader.batches(0));
  const e1 = await collect(loader.batches(1));
  checkRows(e0, 5);
  checkRows(e1, 5);
  assert.equal(e0.reduce((n, b) => n + b.size, 0), 50);
  const [p0, p1] = [positionsById(e0, 5), positionsById(e1, 5)];
  const changed = [...p0.keys()].filter((id) => p0.get(id) !== p1.get(id)).length;
  assert.ok(changed >= 45, `${changed} of 50 rows got a new subset in epoch 1`);
  const again = await TicketLoader.open([dir], { batchSize: 8, subset: 5, seed: 4 });
  assert.deepEqual(positionsById(await collect(again.batches(1)), 5), p1);
});

test('subset: resuming mid-epoch yields exactly the remaining batches; works with flips', async () => {
  const dir = await dataset();
  const loader = await TicketLoader.open([dir], { batchSize: 8, subset: 7, seed: 2, flip: true });
  const all = await collect(loader.batches(3));
  const rest = await collect(loader.batches(3, all[2].state));
  assert.deepEqual(rest.map((b) => [...b.positions]), all.slice(3).map((b) => [...b.positions]));
  assert.deepEqual(rest.map((b) => b.patches), all.slice(3).map((b) => b.patches));
  for (const b of all) for (let i = 0; i < b.size; i++) for (let j = 1; j < 7; j++) assert.ok(b.positions[i * 7 + j] > b.positions[i * 7 + j - 1]);
});

test('content mean: positions as stored, every byte the mean colour', async () => {
  const dir = await dataset();
  const plain = await collect((await TicketLoader.open([dir], { batchSize: 16 })).batches(0));
  const mean = await collect((await TicketLoader.open([dir], { batchSize: 16, content: 'mean' })).batches(0));
  assert.deepEqual(meanPixel([0.5, 0.25, 1]), Uint8Array.from([128, 64, 255]));
  assert.deepEqual(mean.map((b) => [...b.positions]), plain.map((b) => [...b.positions]));
  assert.deepEqual(mean.map((b) => b.ids), plain.map((b) => b.ids));
  for (const b of mean) assert.ok(b.patches.every((v) => v === 128));
  const both = await collect((await TicketLoader.open([dir], { batchSize: 16, content: 'mean', subset: 3 })).batches(0));
  for (const b of both) assert.equal(b.positions.length, b.size * 3);
});

test('bad values: subset above the stored k, unknown content', async () => {
  const dir = await dataset();
  await assert.rejects(TicketLoader.open([dir], { subset: 17 }), (e: unknown) => e instanceof InputError && /subset 17 exceeds the 16 patches/.test(e.message) && e.file === dir);
  await assert.rejects(TicketLoader.open([dir], { subset: 0 }), /subset must be an integer/);
  // @ts-expect-error: an untrusted value from a config file
  await assert.rejects(TicketLoader.open([dir], { content: 'zeros' }), /content must be one of pixels, mean/);
});
