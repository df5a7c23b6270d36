/**
 * Compressed shards (meta.compression, Arrow IPC body compression): round trips of both codecs,
 * the bounded LZ4 frame decoder, and every way a compressed body can lie — corrupt, truncated,
 * bomb-sized, another codec, stored bytes — each one ShardError naming the shard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compressFrameSync } from 'lz4-napi';
import { compressBuffer, declaredLength, decompressBuffer, LENGTH_PREFIX } from '../../src/shards/compression.js';
import { inflateBatch } from '../../src/shards/decode/compression.js';
import { TicketEncoder } from '../../src/shards/encode/tickets.js';
import { arrowSchema } from '../../src/shards/schema.js';
import { ShardFile } from '../../src/shards/shardfile.js';
import { nodeFs } from '../../src/util/fsx.js';
import { decodeLz4Frames } from '../../src/shards/lz4-frame.js';
import { align8, decodeMessage, encodeSchemaMessage, PREFIX_BYTES, type BatchHeader } from '../../src/shards/ipc.js';
import { buildManifest, serializeManifest } from '../../src/shards/manifest.js';
import { Compression, DatasetKind, type Codec, type DatasetMeta, type Manifest } from '../../src/shards/types.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { ShardError } from '../../src/util/errors.js';
import { sha256Hex } from '../../src/util/hash.js';
import { lcg, makeMeta, makeScoreRows, makeTicketRows, readScores, readTickets, tempDir, writeScores, writeTickets } from './helpers.js';

const CODECS: Codec[] = [Compression.Lz4, Compression.Zstd];

/** Ticket rows whose patches compress (smooth gradients, like photos more than noise). */
function smoothRows(meta: DatasetMeta, count: number): ReturnType<typeof makeTicketRows> {
  return makeTicketRows(meta, count).map((r, i) => ({ ...r, patches: r.patches.map((_, j) => (i * 7 + (j >> 4)) & 255), scores: new Float32Array(meta.k).fill(NaN) }));
}

async function written(codec: Codec, options: { rows?: number; batchBytes?: number; shardBytes?: number } = {}): Promise<{ dir: string; manifest: Manifest; meta: DatasetMeta }> {
  const meta = { ...makeMeta({ k: 5 }), compression: codec };
  const dir = await tempDir();
  const { manifest } = await writeTickets(dir, meta, smoothRows(meta, options.rows ?? 20), { batchBytes: options.batchBytes ?? 4000, shardBytes: options.shardBytes ?? 1 << 20 });
  return { dir, manifest, meta };
}

for (const codec of CODECS) {
  test(`${codec}: ticket and score datasets round-trip, verify, and are smaller than uncompressed`, async () => {
    const plainMeta = makeMeta({ k: 5 });
    const meta = { ...plainMeta, compression: codec };
    const rows = smoothRows(meta, 30);
    const dir = await tempDir();
    const plainDir = await tempDir();
    const r = await writeTickets(dir, meta, rows, { batchBytes: 4000, shardBytes: 12_000 });
    const plain = await writeTickets(plainDir, plainMeta, rows, { batchBytes: 4000, shardBytes: 12_000 });
    assert.ok(r.shards > 1, 'several shards');
    assert.equal(r.manifest.meta.compression, codec);
    assert.ok(r.bytes < plain.bytes * 0.6, `${r.bytes} compressed bytes vs ${plain.bytes}`);
    assert.deepEqual(await readTickets(dir), await readTickets(plainDir));
    assert.equal((await verifyDataset(dir)).rows, 30);

    const sMeta = { ...makeMeta({ kind: DatasetKind.Scores }), compression: codec };
    const sRows = makeScoreRows(sMeta, 25);
    const sDir = await tempDir();
    await writeScores(sDir, sMeta, sRows, { batchBytes: 700 });
    assert.deepEqual(await readScores(sDir), sRows);
    assert.equal((await verifyDataset(sDir)).rows, 25);
  });
}

test('buffers: empty stays empty, incompressible bytes are stored (length −1), both decode', () => {
  for (const codec of CODECS) {
    assert.equal(compressBuffer(codec, new Uint8Array(0)).byteLength, 0);
    const rand = lcg(9);
    const noise = Uint8Array.from({ length: 5000 }, () => Math.floor(rand() * 256));
    const stored = compressBuffer(codec, noise);
    assert.equal(new DataView(stored.buffer).getBigInt64(0, true), -1n);
    assert.equal(declaredLength(stored), noise.length);
    const out = new Uint8Array(noise.length);
    decompressBuffer(codec, stored, out);
    assert.deepEqual(out, noise);
    const zeros = compressBuffer(codec, new Uint8Array(100_000));
    assert.ok(zeros.byteLength < 1000);
    assert.equal(declaredLength(zeros), 100_000);
  }
});

test('the LZ4 frame decoder reads lz4-napi frames (blocks of every kind) and refuses any other size', () => {
  const rand = lcg(3);
  const inputs = [
    Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251), // several 64 KiB blocks, overlapping matches
    Uint8Array.from({ length: 70_000 }, () => Math.floor(rand() * 256)), // stored blocks
    new TextEncoder().encode(`${'abcabcabc'.repeat(1000)}the end`),
    Uint8Array.of(42),
  ];
  for (const input of inputs) {
    const frame = compressFrameSync(Buffer.from(input));
    const out = new Uint8Array(input.length);
    decodeLz4Frames(frame, out);
    assert.deepEqual(out, input);
    assert.throws(() => decodeLz4Frames(frame, new Uint8Array(input.length - 1)), ShardError);
    assert.throws(() => decodeLz4Frames(frame, new Uint8Array(input.length + 1)), /declared/);
    assert.throws(() => decodeLz4Frames(frame.subarray(0, frame.length - 5), out), ShardError);
  }
  // A frame of a 1 GiB block claim, a dictionary frame, garbage: refused without writing.
  assert.throws(() => decodeLz4Frames(Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0xff, 0xff, 0xff, 0x3f), new Uint8Array(10)), /exceeds the frame's maximum/);
  assert.throws(() => decodeLz4Frames(Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x61, 0x40, 0, 0, 0, 0, 0), new Uint8Array(10)), /dictionary/);
  assert.throws(() => decodeLz4Frames(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), new Uint8Array(10)), /magic/);
});

/** The first record batch of a shard: where its body starts in the file, and its buffer regions. */
function firstBatch(bytes: Uint8Array): { body: number; header: BatchHeader } {
  let at = 0;
  for (;;) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    const len = view.getInt32(4, true);
    const msg = decodeMessage(bytes.subarray(at + PREFIX_BYTES, at + PREFIX_BYTES + len));
    const body = at + PREFIX_BYTES + len;
    if (msg.header && 'buffers' in msg.header) return { body, header: msg.header as BatchHeader };
    at = body + align8(msg.bodyLength);
  }
}

/** Edits shard 0's bytes, then re-hashes it into a consistent manifest (so only the body checks can catch it). */
async function tamper(dir: string, m: Manifest, edit: (bytes: Buffer, batch: { body: number; header: BatchHeader }) => Buffer | undefined): Promise<void> {
  const path = join(dir, m.shards[0].file);
  const bytes = await readFile(path);
  const out = edit(bytes, firstBatch(bytes)) ?? bytes;
  await writeFile(path, out);
  const shards = m.shards.map((s, i) => (i === 0 ? { ...s, bytes: out.length, sha256: sha256Hex(out) } : s));
  await writeFile(join(dir, 'manifest.json'), serializeManifest(buildManifest(m.meta, shards, m.rowsPerShard)));
}

/** The largest buffer of the batch (the patches). */
function patchesRegion(header: BatchHeader): { offset: number; length: number } {
  return header.buffers.reduce((a, b) => (b.length > a.length ? b : a));
}

async function refused(dir: string, pattern: RegExp): Promise<void> {
  const err = await verifyDataset(dir).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof ShardError, `a ShardError, got ${String(err)}`);
  assert.match(err.message, /shard-00000\.arrow: /);
  assert.match(err.message, pattern);
  await assert.rejects(readTickets(dir), ShardError);
}

for (const codec of CODECS) {
  test(`${codec}: corrupt, bomb-sized, short and mislabelled compressed buffers are one clear error`, async () => {
    const cases: [string, (b: Buffer, batch: { body: number; header: BatchHeader }) => Buffer | undefined, RegExp][] = [
      ['corrupt data', (b, { body, header }) => {
        const r = patchesRegion(header);
        for (let i = LENGTH_PREFIX + 4; i < r.length; i += 3) b[body + r.offset + i] ^= 0x5a;
        return undefined;
      }, new RegExp(`compressed buffer \\d+ \\(${codec}\\)`)],
      ['a bomb: 2^40 bytes declared', (b, { body, header }) => {
        b.writeBigInt64LE(1n << 40n, body + patchesRegion(header).offset);
        return undefined;
      }, /declares \d+ uncompressed bytes, more than the \d+ such rows can hold/],
      ['a declared length one byte short', (b, { body, header }) => {
        const at = body + patchesRegion(header).offset;
        b.writeBigInt64LE(b.readBigInt64LE(at) - 1n, at);
        return undefined;
      }, /compressed buffer \d+/],
      ['a negative length', (b, { body, header }) => {
        b.writeBigInt64LE(-5n, body + patchesRegion(header).offset);
        return undefined;
      }, /declared uncompressed length -5/],
    ];
    for (const [name, edit, pattern] of cases) {
      const { dir, manifest } = await written(codec);
      await tamper(dir, manifest, edit);
      await refused(dir, pattern).catch((err: unknown) => assert.fail(`${name}: ${String(err)}`));
    }
  });
}

test('a batch of another codec than meta.compression, a compressed batch in a plain dataset, a plain batch in a compressed one, too many rows: refused', async () => {
  const { dir, manifest, meta } = await written(Compression.Zstd);
  const bytes = await readFile(join(dir, manifest.shards[0].file));
  const { body, header } = firstBatch(bytes);
  const packed = bytes.subarray(body, body + Number(header.buffers.at(-1)?.offset ?? 0) + 64);
  const into = (n: number) => new Uint8Array(n);
  const { compression: _, ...plainMeta } = meta;
  assert.throws(() => inflateBatch(header, packed, { ...meta, compression: Compression.Lz4 }, 100, 'x.arrow', into), /x\.arrow: record batch compressed with zstd, the dataset records lz4/);
  assert.throws(() => inflateBatch(header, packed, plainMeta, 100, 'x.arrow', into), /the dataset is uncompressed/);
  assert.throws(() => inflateBatch(header, packed, meta, header.length - 1, 'x.arrow', into), /exceeds the \d+ the manifest leaves/);

  const plainDir = await tempDir();
  const file = await ShardFile.create(join(plainDir, 'shard-00000.arrow'), encodeSchemaMessage(arrowSchema(meta)), nodeFs);
  const encoder = new TicketEncoder(meta, 4);
  for (const row of smoothRows(meta, 4)) encoder.append(row);
  await file.writeBatch(encoder.layout());
  const entry = await file.commit('shard-00000.arrow');
  await writeFile(join(plainDir, 'manifest.json'), serializeManifest(buildManifest(meta, [entry])));
  await refused(plainDir, /uncompressed record batch in a dataset compressed with zstd/);
});

test('the writer refuses a batch a compressed shard may not declare (ids averaging over 4096 bytes), leaving nothing half-written', async () => {
  const meta = { ...makeMeta({ k: 2 }), compression: Compression.Zstd };
  const dir = await tempDir();
  const rows = smoothRows(meta, 3).map((r, i) => ({ ...r, id: `${i}-${'x'.repeat(9000)}` }));
  await assert.rejects(writeTickets(dir, meta, rows), /more than a compressed shard may declare/);
  const { readdir } = await import('node:fs/promises');
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.arrow') || f === 'manifest.json'), []);
});
