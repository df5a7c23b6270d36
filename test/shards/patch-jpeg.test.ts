/**
 * The JPEG patch encoding (meta.patchEncoding): rows of real photo patches stored as one JPEG
 * each, decoded by the reader, the loader and verify; no JPEG block crosses a patch border; rows
 * read back are written again byte for byte (merge); every way a stored JPEG can be wrong is one
 * ShardError naming the shard and the row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { TicketLoader } from '../../src/loader/loader.js';
import { checkMeta } from '../../src/shards/meta.js';
import { jpegEncoding, layMosaic, mosaicOf } from '../../src/shards/patch-jpeg.js';
import { openDataset } from '../../src/shards/reader.js';
import { ticketRows } from '../../src/shards/rows.js';
import { Compression, DatasetKind, type DatasetMeta, type TicketRow } from '../../src/shards/types.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { ShardError } from '../../src/util/errors.js';
import { makeMeta, tempDir, writeTickets } from './helpers.js';

const PHOTOS = ['test/fixtures/images/chelsea-150x100.jpg', 'test/fixtures/images/coffee-192x128.jpg'];

/** A real photo resized to size×size, its patches in raster order (N·p·p·C bytes, HWC per patch). */
async function photoGrid(file: string, size: number, p: number, channels: 1 | 3, flop = false): Promise<Uint8Array> {
  let img = sharp(file).resize(size, size, { fit: 'fill' });
  if (flop) img = img.flop();
  const { data } = await img.toColourspace(channels === 1 ? 'b-w' : 'srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const g = size / p;
  const out = new Uint8Array(size * size * channels);
  let at = 0;
  for (let gy = 0; gy < g; gy++) for (let gx = 0; gx < g; gx++) for (let y = 0; y < p; y++) {
    const src = ((gy * p + y) * size + gx * p) * channels;
    out.set(data.subarray(src, src + p * channels), at);
    at += p * channels;
  }
  return out;
}

/** Rows of k patches (every other position) of real photos, both orientations, 2 rows per photo. */
async function photoRows(meta: DatasetMeta, count: number): Promise<TicketRow[]> {
  const p = meta.patchSize;
  const pb = p * p * meta.channels;
  const n = meta.grid[0] * meta.grid[1];
  const rows: TicketRow[] = [];
  for (let i = 0; i < count; i++) {
    const grid = await photoGrid(PHOTOS[i % PHOTOS.length], meta.imageSize[0], p, meta.channels as 1 | 3, i % 4 >= 2);
    const positions = Uint16Array.from({ length: meta.k }, (_, j) => Math.floor((j * n) / meta.k + (i % 2)) % n).sort();
    const patches = new Uint8Array(meta.k * pb);
    positions.forEach((pos, j) => patches.set(grid.subarray(pos * pb, (pos + 1) * pb), j * pb));
    rows.push({ id: `photo-${i}`, label: i % 3 === 2 ? null : i % 10, patches, positions, scores: Float32Array.from({ length: meta.k }, (_, j) => j - i) });
  }
  return rows;
}

function jpegMeta(shape: { image: number; patch: number; channels: 1 | 3; k: number }, quality = 90): DatasetMeta {
  const meta = makeMeta(shape);
  return { ...meta, policy: 'ticket', patchEncoding: jpegEncoding(meta, quality) };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

async function readAll(dir: string): Promise<TicketRow[]> {
  const out: TicketRow[] = [];
  for await (const r of ticketRows(await openDataset(dir))) out.push(r);
  return out;
}

async function shardBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) if (f.endsWith('.arrow')) n += (await readFile(join(dir, f))).length;
  return n;
}

test('JPEG rows of real photos decode close to their patches (≥ 33 dB at quality 90), keep every other column, and take a fraction of the bytes', async () => {
  for (const shape of [{ image: 96, patch: 16, channels: 3 as const, k: 18 }, { image: 56, patch: 7, channels: 1 as const, k: 30 }, { image: 64, patch: 4, channels: 3 as const, k: 100 }]) {
    const meta = jpegMeta(shape);
    const rows = await photoRows(meta, 8);
    const raw = await tempDir();
    const enc = await tempDir();
    await writeTickets(raw, { ...meta, patchEncoding: undefined }, rows, { batchBytes: 20_000 });
    await writeTickets(enc, meta, rows, { batchBytes: 20_000 });
    const back = await readAll(enc);
    assert.deepEqual(back.map((r) => [r.id, r.label, [...r.positions], [...r.scores]]), rows.map((r) => [r.id, r.label, [...r.positions], [...r.scores]]));
    for (let i = 0; i < rows.length; i++) {
      assert.ok(psnr(rows[i].patches, back[i].patches) >= 33, `${JSON.stringify(shape)} row ${i}: PSNR ${psnr(rows[i].patches, back[i].patches).toFixed(1)} dB`);
      assert.ok((back[i].encoded?.length ?? 0) > 0);
    }
    const ratio = (await shardBytes(enc)) / (await shardBytes(raw));
    assert.ok(ratio < 0.8, `${JSON.stringify(shape)}: JPEG shards are ${ratio.toFixed(2)}× the raw ones`);
    assert.equal((await verifyDataset(enc)).rows, rows.length);
  }
});

test('no JPEG block crosses a patch border: changing one patch leaves every other decoded patch byte-identical', async () => {
  for (const shape of [{ image: 96, patch: 16, channels: 3 as const, k: 20 }, { image: 56, patch: 7, channels: 1 as const, k: 13 }, { image: 64, patch: 4, channels: 3 as const, k: 50 }]) {
    const meta = jpegMeta(shape, 75);
    const [row] = await photoRows(meta, 1);
    const pb = meta.patchSize ** 2 * meta.channels;
    const changed = { ...row, id: 'changed', patches: row.patches.slice() };
    for (let b = 5 * pb; b < 6 * pb; b++) changed.patches[b] = 255 - changed.patches[b];
    const dir = await tempDir();
    await writeTickets(dir, meta, [row, changed]);
    const [a, b] = await readAll(dir);
    for (let j = 0; j < meta.k; j++) {
      const same = Buffer.compare(a.patches.subarray(j * pb, (j + 1) * pb), b.patches.subarray(j * pb, (j + 1) * pb)) === 0;
      assert.equal(same, j !== 5, `${JSON.stringify(shape)}: patch ${j} ${same ? 'unchanged' : 'changed'}`);
    }
  }
});

test('the mosaic pads each cell with its patch\'s last column and row, and fills cells past k', () => {
  const meta = { ...makeMeta({ image: 12, patch: 3, channels: 1, k: 3 }) };
  const m = mosaicOf(meta, jpegEncoding(meta));
  assert.deepEqual([m.cell, m.columns, m.width, m.height], [8, 2, 16, 16]);
  const patches = Uint8Array.from({ length: 27 }, (_, i) => i);
  const out = new Uint8Array(m.width * m.height);
  layMosaic(m, patches, out);
  assert.deepEqual([...out.subarray(0, 8)], [0, 1, 2, 2, 2, 2, 2, 2]);
  assert.deepEqual([...out.subarray(7 * 16, 7 * 16 + 8)], [6, 7, 8, 8, 8, 8, 8, 8], 'the last line repeats the patch\'s last row');
  assert.deepEqual([...out.subarray(8, 11)], [9, 10, 11], 'patch 1 at cell (0, 1)');
  assert.equal(out[8 * 16 + 8], 128, 'cell (1, 1) is past k');
});

test('rows read from a JPEG dataset are written again byte for byte (their JPEGs as stored: merging re-encodes nothing)', async () => {
  const meta = jpegMeta({ image: 96, patch: 16, channels: 3, k: 18 });
  const rows = await photoRows(meta, 7);
  const first = await tempDir();
  await writeTickets(first, meta, rows.slice(1), { batchBytes: 30_000 });
  const again = await tempDir();
  await writeTickets(again, meta, rows.slice(1).map((r) => ({ ...r, encoded: undefined })), { batchBytes: 30_000 });
  assert.equal((await openDataset(again)).manifest.fingerprint, (await openDataset(first)).manifest.fingerprint, 'encoding is deterministic');
  // As merge does: rows streamed as views, one row ahead, so every written batch spans two read
  // batches (the reader's buffers move on before the writer flushes), against copied rows.
  const copied = await tempDir();
  await writeTickets(copied, meta, [rows[0], ...(await readAll(first))], { batchBytes: 30_000 });
  const streamed = await tempDir();
  const w = await createTicketWriter({ dir: streamed, meta, batchBytes: 30_000 });
  await w.write(rows[0]);
  for await (const r of ticketRows(await openDataset(first), { view: true })) await w.write(r);
  await w.finalize();
  const a = (await openDataset(copied)).manifest;
  const b = (await openDataset(streamed)).manifest;
  assert.ok(a.shards.length >= 1 && (await openDataset(first)).manifest.rows === 6);
  assert.equal(b.fingerprint, a.fingerprint);
  assert.equal((await verifyDataset(streamed)).rows, 7);
});

test('the loader serves a JPEG dataset (plain and zstd-compressed) as the batches of its decoded rows', async () => {
  const meta = jpegMeta({ image: 96, patch: 16, channels: 3, k: 18 });
  const rows = await photoRows(meta, 30);
  for (const compression of [undefined, Compression.Zstd]) {
    const dir = await tempDir();
    await writeTickets(dir, compression ? { ...meta, compression } : meta, rows, { batchBytes: 40_000, shardBytes: 200_000 });
    const decoded = new Map((await readAll(dir)).map((r) => [r.id, r]));
    const loader = await TicketLoader.open([dir], { shuffle: 'block', block: 8, batchSize: 7, seed: 3 });
    assert.ok(loader.sources.shards.length > 1);
    const pb = 18 * 16 * 16 * 3;
    let seen = 0;
    for await (const batch of loader.batches(1)) {
      batch.ids.forEach((id, i) => {
        const r = decoded.get(id);
        assert.ok(r);
        assert.equal(Buffer.compare(batch.patches.subarray(i * pb, (i + 1) * pb), r.patches), 0, `${compression ?? 'plain'}: ${id}`);
        assert.deepEqual([...batch.positions.subarray(i * 18, (i + 1) * 18)], [...r.positions]);
      });
      seen += batch.size;
    }
    assert.equal(seen, rows.length);
  }
});

/** A dataset whose row 1 stores `jpeg` (the writer keeps a row's JPEG as given). */
async function withStoredJpeg(jpeg: Uint8Array): Promise<string> {
  const meta = jpegMeta({ image: 32, patch: 8, channels: 3, k: 4 });
  const rows = await photoRows(meta, 3);
  rows[1] = { ...rows[1], encoded: jpeg };
  const dir = await tempDir();
  await writeTickets(dir, meta, rows);
  return dir;
}

test('a stored JPEG that is not the layout\'s, or does not decode, is one ShardError naming the shard and the row', async () => {
  const meta = jpegMeta({ image: 32, patch: 8, channels: 3, k: 4 });
  const m = mosaicOf(meta, meta.patchEncoding as NonNullable<DatasetMeta['patchEncoding']>);
  const good = await sharp({ create: { width: m.width, height: m.height, channels: 3, background: '#808080' } }).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer();
  const cases: [string, Uint8Array, RegExp][] = [
    ['other size', await sharp({ create: { width: 24, height: 16, channels: 3, background: '#808080' } }).jpeg().toBuffer(), /row 1's JPEG is 24×16, the layout needs 16×16/],
    ['grayscale', await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).toColourspace('b-w').jpeg().toBuffer(), /row 1's JPEG has 1 components, the dataset 3 channels/],
    ['a PNG', await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).png().toBuffer(), /row 1's JPEG is not a JPEG whose frame header can be read/],
    ['truncated', good.subarray(0, good.length - 40), /row 1's JPEG does not decode/],
    ['rotated', await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer(), /row 1's JPEG carries EXIF orientation 6/],
  ];
  for (const [what, jpeg, message] of cases) {
    const dir = await withStoredJpeg(jpeg);
    await assert.rejects(verifyDataset(dir), (err: unknown) => {
      assert.ok(err instanceof ShardError, what);
      assert.match(err.message, message, what);
      assert.match(String(err.file), /shard-00000\.arrow$/, what);
      assert.ok(!err.message.includes('\n'), `${what}: one line`);
      return true;
    });
    await assert.rejects(TicketLoader.open([dir], { shuffle: 'none' }).then(async (l) => { for await (const _ of l.batches(0)); }), ShardError, what);
  }
});

test('meta.patchEncoding is checked: ticket datasets only, cells of at least the patch size, columns within k', () => {
  const base = jpegMeta({ image: 32, patch: 8, channels: 3, k: 4 });
  const fail = (message: string): never => {
    throw new Error(message);
  };
  assert.doesNotThrow(() => checkMeta(base, '$.meta', fail));
  const bad: [Partial<DatasetMeta>, RegExp][] = [
    [{ patchEncoding: { ...base.patchEncoding!, cell: 12 } }, /cell/],
    [{ patchEncoding: { ...base.patchEncoding!, cell: 0 } }, /cell/],
    [{ patchEncoding: { ...base.patchEncoding!, columns: 5 } }, /columns: 5 is more than k = 4/],
    [{ patchEncoding: { ...base.patchEncoding!, quality: 101 } }, /quality/],
    [{ kind: DatasetKind.Scores, k: 16, policy: null }, /only ticket datasets store patches/],
  ];
  for (const [change, message] of bad) assert.throws(() => checkMeta({ ...base, ...change }, '$.meta', fail), message);
});

test('a JPEG dataset with views (K rows per image) stores and reads each row\'s view beside its decoded patches', async () => {
  const meta: DatasetMeta = { ...jpegMeta({ image: 96, patch: 16, channels: 3, k: 18 }), views: { count: 3, scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: 0.5, seed: 0 } };
  const rows = (await photoRows(meta, 6)).map((r, i) => ({ ...r, id: `img-${Math.floor(i / 3)}`, view: i % 3 }));
  const dir = await tempDir();
  await writeTickets(dir, meta, rows, { batchBytes: 40_000 });
  const back = await readAll(dir);
  assert.deepEqual(back.map((r) => [r.id, r.view]), rows.map((r) => [r.id, r.view]));
  for (let i = 0; i < rows.length; i++) assert.ok(psnr(rows[i].patches, back[i].patches) >= 33);
  assert.equal((await verifyDataset(dir)).rows, 6);
});
