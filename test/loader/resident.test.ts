/**
 * Shards held from an earlier epoch: with `verify: 'first'` a shard still in one of the loader's
 * slots is used without reading it again (with `always`, or over http, every epoch reads and
 * hashes); batches stay those of a fresh loader, however slots are reused or an epoch is cut short.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import type { LoaderOptions } from '../../src/loader/options.js';
import { collect, CountingStore, tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';

const meta = ticketMeta();
const rows = ticketRows(meta, 90, 5);
let dir = '';

before(async () => {
  dir = join(await tempDir(), 'ds');
  await writeDataset(dir, meta, rows);
});

async function fresh(options: LoaderOptions, epoch: number): ReturnType<typeof collect> {
  return collect((await TicketLoader.open([dir], options)).batches(epoch));
}

test('verify "first": shards that fit the slots are read once, later epochs reuse them', async () => {
  const store = new CountingStore(dir);
  const options: LoaderOptions = { shuffle: 'block', block: 1000, batchSize: 8, verify: 'first', flip: true };
  const loader = await TicketLoader.open([store], options);
  const shards = loader.sources.shards.length;
  assert.ok(shards >= 5);
  for (let epoch = 0; epoch < 3; epoch++) assert.deepEqual(await collect(loader.batches(epoch)), await fresh(options, epoch));
  assert.equal(store.opened.length, shards, 'each shard opened once over three epochs');
});

test('verify "always" reads and hashes every shard every epoch', async () => {
  const store = new CountingStore(dir);
  const loader = await TicketLoader.open([store], { shuffle: 'block', block: 1000, verify: 'always' });
  for (let epoch = 0; epoch < 2; epoch++) await collect(loader.batches(epoch));
  assert.equal(store.opened.length, 2 * loader.sources.shards.length);
});

for (const options of [
  { shuffle: 'shard', batchSize: 7, prefetchShards: 0 },
  { shuffle: 'shard', batchSize: 7, prefetchShards: 2 },
  { shuffle: 'block', block: 20, batchSize: 5 },
  { shuffle: 'none', batchSize: 16, subset: 3 },
] as const) {
  test(`fewer slots than shards (${JSON.stringify(options)}): every epoch as from a fresh loader, cut short or not`, async () => {
    const all = { ...options, verify: 'first' } as const;
    const store = new CountingStore(dir);
    const loader = await TicketLoader.open([store], all);
    let seen = 0;
    for await (const _ of loader.batches(0)) if (++seen === 2) break;
    for (let epoch = 1; epoch < 4; epoch++) {
      const opened = store.opened.length;
      assert.deepEqual(await collect(loader.batches(epoch)), await fresh(all, epoch), `epoch ${epoch}`);
      assert.ok(store.opened.length - opened <= loader.sources.shards.length, 'no shard read twice in an epoch');
    }
  });
}
