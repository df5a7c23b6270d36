/**
 * The shard writer never writes through a link planted at a shard's temporary name and never
 * replaces a shard path that is not a regular file (a FIFO, a link): the temp is created new
 * (openTemp) and the target checked before the rename (renameTemp).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { verifyDataset } from '../../src/shards/verify.js';
import { tempName } from '../../src/util/fsx.js';
import { isRefusal, mkfifo, PRECIOUS, victimFile } from '../util/planted.js';
import { makeMeta, makeTicketRows, tempDir, writeTickets } from './helpers.js';

const meta = makeMeta({ k: 4 });
const rows = makeTicketRows(meta, 30, 3).map((r) => ({ ...r, scores: new Float32Array(4).fill(NaN) }));
const layout = { shardBytes: 8_000, batchBytes: 2_500 };

test('a link planted at a shard\'s temp name is not written through: its target is untouched and the dataset verifies', async () => {
  const dir = await tempDir();
  const victim = victimFile();
  symlinkSync(victim, tempName(join(dir, 'shard-00000.arrow')));
  symlinkSync(victim, tempName(join(dir, 'manifest.json')));
  const r = await writeTickets(dir, meta, rows, layout);
  assert.equal(readFileSync(victim, 'utf8'), PRECIOUS);
  assert.ok(r.shards > 1);
  assert.equal((await verifyDataset(dir)).rows, rows.length);
  assert.ok(readdirSync(dir).every((n) => !n.includes('.tmp-')), 'no temp left');
});

test('a FIFO or a link where a shard goes is refused (one-line IoError naming it) and left as it was, with no temp', async () => {
  const dir = await tempDir();
  const fifo = join(dir, 'shard-00001.arrow');
  mkfifo(fifo);
  await assert.rejects(writeTickets(dir, meta, rows, layout), isRefusal(fifo, /a FIFO/));
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  const other = await tempDir();
  const victim = victimFile();
  const link = join(other, 'shard-00000.arrow');
  symlinkSync(victim, link);
  await assert.rejects(writeTickets(other, meta, rows, layout), isRefusal(link, /a symbolic link/));
  assert.equal(readlinkSync(link), victim);
  assert.equal(readFileSync(victim, 'utf8'), PRECIOUS);
  for (const d of [dir, other]) assert.ok(readdirSync(d).every((n) => !n.includes('.tmp-') && n !== 'manifest.json'), readdirSync(d).join(' '));
});

test('a FIFO where a listed shard belongs is refused at once when the dataset is hashed, never waited on', { timeout: 20_000 }, async () => {
  const dir = await tempDir();
  await writeTickets(dir, meta, rows, layout);
  const { rmSync } = await import('node:fs');
  const { hashFile } = await import('../../src/shards/hashfile.js');
  const shard = join(dir, 'shard-00000.arrow');
  rmSync(shard);
  mkfifo(shard);
  await assert.rejects(hashFile(shard), (e: Error) => /not a regular file/.test(e.message) && e.message.includes(shard));
  await assert.rejects(verifyDataset(dir));
});
