/**
 * The loader over compressed datasets (meta.compression): batches identical to the same rows
 * uncompressed, with several record batches per shard, ids far past the arena's allowance (the
 * arena grows), and compressed and plain datasets read together.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import type { LoaderOptions } from '../../src/loader/options.js';
import { Compression, type DatasetMeta, type TicketRow } from '../../src/shards/types.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { collect, tempDir, ticketMeta, ticketRows } from './helpers.js';

const meta = ticketMeta();
/** Half the rows with smooth patches (they compress), ids of up to 900 bytes on every 5th row. */
const rows: TicketRow[] = ticketRows(meta, 70, 9).map((r, i) => ({
  ...r,
  id: i % 5 === 0 ? `${r.id}-${'long-id/'.repeat(110)}` : r.id,
  patches: i % 2 === 0 ? r.patches.map((_, j) => (i + (j >> 6)) & 255) : r.patches,
}));

async function write(m: DatasetMeta, part: readonly TicketRow[]): Promise<string> {
  const dir = join(await tempDir(), 'ds');
  const w = await createTicketWriter({ dir, meta: m, shardBytes: 40_000, batchBytes: 9_000 });
  for (const r of part) await w.write(r);
  await w.finalize();
  return dir;
}

/** The batches without their resume state (which names the datasets by fingerprint: compression changes it). */
async function batches(dirs: string[], epoch: number): Promise<Omit<Awaited<ReturnType<typeof collect>>[number], 'state'>[]> {
  const loader = await TicketLoader.open(dirs, options);
  return (await collect(loader.batches(epoch))).map(({ state: _, ...b }) => b);
}

const options: LoaderOptions = { shuffle: 'block', block: 25, batchSize: 8, seed: 4, flip: true };

for (const codec of [Compression.Lz4, Compression.Zstd]) {
  test(`${codec}: the loader's batches equal those of the same rows uncompressed (several batches per shard, long ids)`, async () => {
    const plain = await write(meta, rows);
    const packed = await write({ ...meta, compression: codec }, rows);
    assert.ok((await TicketLoader.open([packed], options)).sources.shards.length > 1);
    for (let epoch = 0; epoch < 2; epoch++) assert.deepEqual(await batches([packed], epoch), await batches([plain], epoch), `epoch ${epoch}`);
  });
}

test('compressed and plain datasets read together give the batches of both plain', async () => {
  const [first, second] = [rows.slice(0, 40), rows.slice(40)];
  const plain = [await write(meta, first), await write(meta, second)];
  const mixed = [await write({ ...meta, compression: Compression.Zstd }, first), await write(meta, second)];
  const want = await batches(plain, 1);
  assert.deepEqual(await batches(mixed, 1), want);
  const reversed = [await write(meta, first), await write({ ...meta, compression: Compression.Lz4 }, second)];
  assert.deepEqual(await batches(reversed, 1), want);
});
