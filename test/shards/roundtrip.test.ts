import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset, ticketBatches } from '../../src/shards/reader.js';
import { DatasetKind, type TicketRow } from '../../src/shards/types.js';
import { parseManifest } from '../../src/shards/manifest.js';
import { makeMeta, makeScoreRows, makeTicketRows, readScores, readTickets, snapshot, tempDir, writeScores, writeTickets, type MetaShape } from './helpers.js';

function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function assertSameRows(got: TicketRow[], want: TicketRow[]): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    const w = want[i];
    assert.equal(g.id, w.id);
    assert.equal(g.label, w.label);
    assert.deepEqual(g.positions, w.positions);
    assert.ok(Buffer.from(g.patches).equals(Buffer.from(w.patches)), `patches of row ${i}`);
    assert.ok(sameFloats(g.scores, w.scores), `scores of row ${i} (NaN bits preserved)`);
  });
}

const shapes: Array<MetaShape & { rows: number; shardBytes: number; batchBytes: number }> = [
  { k: 1, rows: 13, shardBytes: 4000, batchBytes: 1000 },
  { k: 16, rows: 9, shardBytes: 1 << 20, batchBytes: 3000 },
  { channels: 1, image: 28, patch: 4, k: 49, rows: 25, shardBytes: 9000, batchBytes: 2500 },
  { image: 32, patch: 16, k: 3, rows: 1, shardBytes: 1 << 20, batchBytes: 1 << 20 },
  { k: 5, rows: 40, shardBytes: 1, batchBytes: 1, numClasses: null },
];

for (const shape of shapes) {
  test(`tickets round trip: ${JSON.stringify(shape)}`, async () => {
    const meta = makeMeta(shape);
    const rows = makeTicketRows(meta, shape.rows, shape.rows);
    const dir = await tempDir();
    const result = await writeTickets(dir, meta, rows, { shardBytes: shape.shardBytes, batchBytes: shape.batchBytes });
    assert.equal(result.rows, shape.rows);
    assertSameRows(await readTickets(dir), rows);
    const manifest = parseManifest(await readFile(join(dir, 'manifest.json')), 'manifest.json');
    assert.equal(manifest.shards.length, result.shards);
    assert.ok(manifest.shards.every((s, i) => s.file === `shard-${String(i).padStart(5, '0')}.arrow`));
    const R = manifest.rowsPerShard as number;
    manifest.shards.forEach((s, i) => assert.equal(s.rows, i < manifest.shards.length - 1 ? R : shape.rows - R * i, `rows of shard ${i}`));
  });
}

test('an empty dataset round-trips', async () => {
  const dir = await tempDir();
  const result = await writeTickets(dir, makeMeta(), []);
  assert.equal(result.rows, 0);
  assert.deepEqual(await readTickets(dir), []);
});

test('batches are zero-copy typed-array views with the right shapes', async () => {
  const meta = makeMeta({ k: 4 });
  const rows = makeTicketRows(meta, 10);
  const dir = await tempDir();
  await writeTickets(dir, meta, rows, { batchBytes: 4 * 1024 });
  let seen = 0;
  for await (const b of ticketBatches(await openDataset(dir))) {
    assert.ok(b.positions instanceof Uint16Array && b.scores instanceof Float32Array);
    assert.equal(b.patches.length, b.numRows * 4 * 192);
    assert.equal(b.positions.length, b.numRows * 4);
    seen += b.numRows;
  }
  assert.equal(seen, 10);
});

test('scores datasets round trip', async () => {
  const meta = makeMeta({ kind: DatasetKind.Scores });
  const rows = makeScoreRows(meta, 21);
  const dir = await tempDir();
  await writeScores(dir, meta, rows, { shardBytes: 2000, batchBytes: 700 });
  const got = await readScores(dir);
  assert.equal(got.length, rows.length);
  got.forEach((g, i) => {
    assert.equal(g.id, rows[i].id);
    assert.equal(g.label, rows[i].label);
    assert.deepEqual(g.rank, rows[i].rank);
    assert.ok(sameFloats(g.scores, rows[i].scores));
  });
});

test('the same rows give byte-identical shards and manifest', async () => {
  const meta = makeMeta({ k: 7 });
  const rows = makeTicketRows(meta, 30, 3);
  const [a, b] = [await tempDir(), await tempDir()];
  await writeTickets(a, meta, rows, { shardBytes: 20_000 });
  await writeTickets(b, meta, rows, { shardBytes: 20_000 });
  const [sa, sb] = [await snapshot(a), await snapshot(b)];
  assert.deepEqual([...sa.keys()], [...sb.keys()]);
  for (const [name, bytes] of sa) assert.ok(bytes.equals(sb.get(name) as Buffer), name);
  assert.ok(!sa.has('.dlth-journal.json'), 'the journal is removed at finalize');
});

test('the writer refuses rows that do not fit the dataset', async () => {
  const meta = makeMeta({ k: 2 });
  const dir = await tempDir();
  const [row] = makeTicketRows(meta, 1);
  const { createTicketWriter } = await import('../../src/shards/writer.js');
  const w = await createTicketWriter({ dir, meta });
  await assert.rejects(w.write({ ...row, positions: Uint16Array.of(3, 3) }), /not ascending/);
  await assert.rejects(w.write({ ...row, positions: Uint16Array.of(3, 16) }), /not ascending within \[0, 16\)/);
  await assert.rejects(w.write({ ...row, patches: row.patches.subarray(1) }), /patch bytes/);
  await w.abort();
});
