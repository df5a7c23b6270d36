import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { TicketLoader } from '../../src/loader/loader.js';
import type { TicketRow } from '../../src/shards/types.js';
import { collect, CountingStore, tempDir, ticketMeta, ticketRows, writeDataset, type CopiedBatch } from './helpers.js';

const meta = ticketMeta();
const rows = ticketRows(meta, 150);
const byId = new Map(rows.map((r) => [r.id, r]));
let dir = '';

before(async () => {
  dir = join(await tempDir(), 'ds');
  await writeDataset(dir, meta, rows);
});

function checkRowsMatch(batches: CopiedBatch[]): void {
  const pb = meta.k * meta.patchSize * meta.patchSize * meta.channels;
  for (const b of batches) {
    b.ids.forEach((id, i) => {
      const r = byId.get(id) as TicketRow;
      assert.ok(r, `unknown id ${id}`);
      assert.deepEqual(b.patches.subarray(i * pb, (i + 1) * pb), r.patches, `${id}: patches`);
      assert.deepEqual(b.positions.subarray(i * meta.k, (i + 1) * meta.k), r.positions, `${id}: positions`);
      assert.deepEqual(b.scores.subarray(i * meta.k, (i + 1) * meta.k), r.scores, `${id}: scores`);
      assert.equal(b.labels[i], r.label ?? -1, `${id}: label`);
      assert.equal(rows[b.indices[i]].id, id, `${id}: global index`);
    });
  }
}

test('the fixture has several shards', async () => {
  assert.ok((await readdir(dir)).filter((f) => f.endsWith('.arrow')).length >= 5);
});

for (const shuffle of ['none', 'shard', 'block'] as const) {
  test(`loader ${shuffle}: one epoch yields every sample once, with its data`, async () => {
    const loader = await TicketLoader.open([dir], { shuffle, block: 40, batchSize: 16, seed: 5 });
    const batches = await collect(loader.batches(0));
    const ids = batches.flatMap((b) => b.ids);
    assert.equal(ids.length, rows.length);
    assert.equal(new Set(ids).size, rows.length);
    assert.equal(batches.length, loader.batchesPerEpoch());
    assert.ok(batches.slice(0, -1).every((b) => b.size === 16));
    checkRowsMatch(batches);
    if (shuffle === 'none') assert.deepEqual(ids, rows.map((r) => r.id));
    const again = await collect(loader.batches(0));
    assert.deepEqual(again.flatMap((b) => b.ids), ids, 'same (seed, epoch) → same batches');
    const next = await collect(loader.batches(1));
    if (shuffle !== 'none') assert.notDeepEqual(next.flatMap((b) => b.ids), ids, 'epochs differ');
  });
}

for (const partition of ['pad', 'drop', 'exact'] as const) {
  test(`loader ranks (${partition}, world 4): disjoint, covering, equal batch counts where promised`, async () => {
    const perRank: string[][] = [];
    for (let rank = 0; rank < 4; rank++) {
      const loader = await TicketLoader.open([dir], { world: 4, rank, partition, batchSize: 8, block: 32, seed: 9 });
      perRank.push((await collect(loader.batches(2))).flatMap((b) => b.ids));
    }
    const all = perRank.flat();
    const distinct = new Set(all);
    if (partition === 'exact') assert.equal(all.length, rows.length);
    if (partition !== 'drop') assert.equal(distinct.size, rows.length, 'every sample on some rank');
    if (partition !== 'pad') assert.equal(distinct.size, all.length, 'ranks are disjoint');
    if (partition !== 'exact') assert.ok(perRank.every((r) => r.length === perRank[0].length), 'equal counts');
    if (partition === 'drop') assert.equal(all.length, rows.length - (rows.length % 4));
  });
}

test('resume from a mid-epoch state yields exactly the remaining batches, skipping consumed shards', async () => {
  const options = { shuffle: 'shard', batchSize: 10, seed: 2 } as const;
  const full = await collect((await TicketLoader.open([dir], options)).batches(3));
  for (const cut of [1, 4, 7, full.length - 1, full.length]) {
    const state = JSON.parse(JSON.stringify(full[cut - 1].state));
    const store = new CountingStore(dir);
    const loader = await TicketLoader.open([store], options);
    const rest = await collect(loader.batches(3, state));
    assert.deepEqual(rest, full.slice(cut), `resume after batch ${cut}`);
    // Shards whose samples were all consumed before the cut are never opened.
    const seq = loader.sequence(3);
    const needed = new Set<string>();
    const shardOfRow = await shardNames(dir);
    for (const g of seq.subarray(state.consumed)) needed.add(shardOfRow[g]);
    assert.deepEqual(new Set(store.opened), needed);
  }
});

async function shardNames(d: string): Promise<string[]> {
  const loader = await TicketLoader.open([d]);
  return loader.sources.shards.flatMap((s) => Array<string>(s.entry.rows).fill(s.entry.file));
}

test('resume refuses a state from another order', async () => {
  const a = await TicketLoader.open([dir], { seed: 1, batchSize: 10 });
  const [first] = await collect(limit(a.batches(0), 1));
  const b = await TicketLoader.open([dir], { seed: 2, batchSize: 10 });
  assert.throws(() => b.batches(0, first.state), /seed = 1, this loader has 2/);
  assert.throws(() => a.batches(1, first.state), /cannot resume epoch 1 from a state of epoch 0/);
});

async function* limit<T>(it: AsyncGenerator<T>, n: number): AsyncGenerator<T> {
  let i = 0;
  for await (const x of it) {
    if (i++ >= n) break;
    yield x;
  }
}

test('breaking out of an epoch stops cleanly; buffers are reused across batches and epochs', async () => {
  const loader = await TicketLoader.open([dir], { batchSize: 8, prefetch: 2, block: 30 });
  let seen = 0;
  for await (const _ of loader.batches(0)) if (++seen === 3) break;
  const buffers = new Set<ArrayBufferLike>();
  for (let epoch = 1; epoch <= 2; epoch++) for await (const b of loader.batches(epoch)) buffers.add(b.patches.buffer);
  assert.ok(buffers.size <= 3, `${buffers.size} distinct patch buffers (prefetch 2 + 1 held)`);
});

test('a shuffle window needing more shards than allowed is refused', async () => {
  const loader = await TicketLoader.open([dir], { block: 150, shardMemory: 50_000 });
  await assert.rejects(collect(loader.batches(0)), /needs \d+ shards at once \(\+1 read ahead\) of up to [\d.]+ KiB, more than shardMemory = 48\.8 KiB/);
});

test('several datasets are concatenated; mismatched geometry is refused', async () => {
  const other = join(await tempDir(), 'ds2');
  const rows2 = ticketRows(meta, 30, 9, 't');
  await writeDataset(other, meta, rows2);
  const loader = await TicketLoader.open([dir, other], { batchSize: 32, block: 64 });
  const ids = (await collect(loader.batches(0))).flatMap((b) => b.ids);
  assert.equal(loader.rows, 180);
  assert.deepEqual(new Set(ids), new Set([...rows, ...rows2].map((r) => r.id)));

  const wrong = join(await tempDir(), 'ds3');
  const meta3 = ticketMeta({ k: 5 });
  await writeDataset(wrong, meta3, ticketRows(meta3, 3));
  await assert.rejects(TicketLoader.open([dir, wrong]), (err: Error) => {
    assert.equal(err.name, 'ManifestError');
    assert.match(err.message, /ds3\/manifest\.json: k is 5, but the first dataset .* has 6/);
    return true;
  });
});

test('flip: flipped samples are the exact mirror, seeded per sample', async () => {
  const plain = await collect((await TicketLoader.open([dir], { shuffle: 'none', batchSize: 50 })).batches(0));
  const flipped = await collect((await TicketLoader.open([dir], { shuffle: 'none', batchSize: 50, flip: true, seed: 4 })).batches(0));
  const count = flipped.reduce((n, b) => n + b.flipped.reduce((a, x) => a + x, 0), 0);
  assert.ok(count > 40 && count < 110, `${count} of 150 flipped`);
  const gw = meta.grid[1];
  flipped.forEach((b, bi) => {
    b.ids.forEach((_, i) => {
      const pos = b.positions.subarray(i * meta.k, (i + 1) * meta.k);
      const orig = plain[bi].positions.subarray(i * meta.k, (i + 1) * meta.k);
      const expect = b.flipped[i] ? Uint16Array.from(orig, (p) => Math.floor(p / gw) * gw + gw - 1 - (p % gw)).sort() : orig;
      assert.deepEqual(pos, expect);
    });
  });
});
