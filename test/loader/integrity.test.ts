import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { appendFile, cp, open, readFile, stat } from 'node:fs/promises';
import { TicketLoader } from '../../src/loader/loader.js';
import { tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';

const meta = ticketMeta();
const rows = ticketRows(meta, 80);

async function fixture(): Promise<string> {
  const dir = join(await tempDir(), 'ds');
  await writeDataset(dir, meta, rows);
  return dir;
}

/** Rows of each shard, by file, from the manifest. */
async function shardIds(dir: string): Promise<Map<string, Set<string>>> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { shards: Array<{ file: string; rows: number }> };
  const out = new Map<string, Set<string>>();
  let at = 0;
  for (const s of manifest.shards) {
    out.set(s.file, new Set(rows.slice(at, at + s.rows).map((r) => r.id)));
    at += s.rows;
  }
  return out;
}

async function drain(loader: TicketLoader): Promise<{ ids: string[]; error: Error | null }> {
  const ids: string[] = [];
  try {
    for await (const b of loader.batches(0)) ids.push(...b.ids);
  } catch (err) {
    return { ids, error: err as Error };
  }
  return { ids, error: null };
}

async function flipByte(path: string, offsetFromEnd: number): Promise<void> {
  const size = (await stat(path)).size;
  const fh = await open(path, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, size - offsetFromEnd);
  b[0] ^= 0x5a;
  await fh.write(b, 0, 1, size - offsetFromEnd);
  await fh.close();
}

test('a shard with a flipped patch byte is rejected by sha256 and none of its samples is yielded', async () => {
  const dir = await fixture();
  const target = 'shard-00002.arrow';
  // A byte inside the last batch's body (patch data): the Arrow structure stays valid.
  await flipByte(join(dir, target), 200);
  const loader = await TicketLoader.open([dir], { shuffle: 'none', batchSize: 4 });
  const { ids, error } = await drain(loader);
  assert.ok(error, 'the epoch must fail');
  assert.equal(error.name, 'ShardError');
  assert.match(error.message, new RegExp(`${target}: sha256 [0-9a-f]{64} differs from the manifest's [0-9a-f]{64}`));
  const tampered = (await shardIds(dir)).get(target) as Set<string>;
  assert.ok(ids.every((id) => !tampered.has(id)), 'a sample of the tampered shard was yielded');
  assert.ok(ids.length > 0, 'earlier, intact shards are still yielded');
});

test('a shard whose size differs from the manifest is rejected before it is parsed', async () => {
  const dir = await fixture();
  await appendFile(join(dir, 'shard-00001.arrow'), Buffer.from([0]));
  const { error } = await drain(await TicketLoader.open([dir], { shuffle: 'none' }));
  assert.match(String(error?.message), /shard-00001\.arrow: size is \d+ bytes, the manifest says \d+/);
});

test('a missing shard is a clear error naming the file', async () => {
  const dir = await fixture();
  const other = join(await tempDir(), 'copy');
  await cp(dir, other, { recursive: true, filter: (src) => !src.endsWith('shard-00003.arrow') });
  const { error } = await drain(await TicketLoader.open([other], { shuffle: 'none' }));
  assert.match(String(error?.message), /copy\/shard-00003\.arrow: shard file is missing or unreadable/);
});

test('verify "first" hashes a local shard once per loader; "always" every epoch', async () => {
  const dir = await fixture();
  const loader = await TicketLoader.open([dir], { verify: 'first' });
  assert.equal((await drain(loader)).error, null);
  // Tampering after the first verified read goes unnoticed with "first" (the documented trade-off)…
  await flipByte(join(dir, 'shard-00000.arrow'), 200);
  assert.equal((await drain(loader)).error, null);
  // …and is caught by a loader that hashes every read.
  const strict = await TicketLoader.open([dir]);
  assert.match(String((await drain(strict)).error?.message), /shard-00000\.arrow: sha256/);
});
