/**
 * The codecs of Arrow IPC body compression (Message.fbs `BodyCompression`, method BUFFER): every
 * non-empty body buffer is stored as its uncompressed length (int64 little-endian), then the
 * compressed bytes; a length of −1 means the bytes follow as they are (written when compressing
 * would not make the buffer smaller, as the format allows). Empty buffers stay empty.
 *
 * LZ4_FRAME: lz4-napi compresses (a prebuilt binary shipped in the npm registry), lz4-frame.ts
 * decompresses (bounded: it writes only into the declared length). ZSTD: zstd-napi, compiled from
 * source at install, decompressing straight into a buffer of the declared length (zstd refuses to
 * write past it).
 */
import { createRequire } from 'node:module';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { compressFrameSync } from 'lz4-napi';
import { Compressor } from 'zstd-napi';
import { InputError, ShardError } from '../util/errors.js';
import { align8, type BatchLayout } from './ipc.js';
import { ID_ALLOWANCE, rowBytes } from './layout.js';
import { decodeLz4Frames } from './lz4-frame.js';
import { Compression, type Codec, type DatasetMeta } from './types.js';

type ZstdBinding = typeof import('zstd-napi/binding.js');
const zstdBinding = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding;

/** zstd's level: 1 is Arrow C++'s default and the fastest (bench/README.md, "Compressed shards"). */
export const ZSTD_LEVEL = 1;
/** Bytes of the uncompressed-length prefix of a compressed buffer. */
export const LENGTH_PREFIX = 8;
/** The prefix's value for a buffer stored as it is. */
export const STORED = -1n;

export const COMPRESSIONS: readonly Compression[] = Object.values(Compression);

/** Arrow's CompressionType of each codec. */
export const ARROW_CODEC: Readonly<Record<Codec, CompressionType>> = { lz4: CompressionType.LZ4_FRAME, zstd: CompressionType.ZSTD };

/** The codec of an Arrow CompressionType value, or null for one the format does not know. */
export function codecOf(type: number): Codec | null {
  if (type === CompressionType.LZ4_FRAME) return Compression.Lz4;
  if (type === CompressionType.ZSTD) return Compression.Zstd;
  return null;
}

/** The codec to record in `meta.compression` (undefined for none). */
export function metaCodec(compression: Compression | undefined): Codec | undefined {
  return compression === undefined || compression === Compression.None ? undefined : compression;
}

let zstdCompressor: Compressor | null = null;
let zstdDecompressor: InstanceType<ZstdBinding['DCtx']> | null = null;

function compressRaw(codec: Codec, data: Uint8Array): Uint8Array {
  if (codec === Compression.Lz4) return compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  if (!zstdCompressor) {
    zstdCompressor = new Compressor();
    zstdCompressor.setParameters({ compressionLevel: ZSTD_LEVEL });
  }
  return zstdCompressor.compress(data);
}

/** One body buffer compressed: length prefix, then the compressed (or, if not smaller, the stored) bytes. */
export function compressBuffer(codec: Codec, data: Uint8Array): Uint8Array {
  if (data.byteLength === 0) return data;
  const packed = compressRaw(codec, data);
  const stored = packed.byteLength >= data.byteLength;
  const out = new Uint8Array(LENGTH_PREFIX + (stored ? data.byteLength : packed.byteLength));
  new DataView(out.buffer).setBigInt64(0, stored ? STORED : BigInt(data.byteLength), true);
  out.set(stored ? data : packed, LENGTH_PREFIX);
  return out;
}

/**
 * The uncompressed length a compressed buffer declares (its prefix), or the stored length; throws
 * a ShardError (the reason only) for a buffer too short to hold the prefix or a negative length
 * other than −1.
 */
export function declaredLength(buffer: Uint8Array): number {
  if (buffer.byteLength === 0) return 0;
  if (buffer.byteLength < LENGTH_PREFIX) throw new ShardError(`a compressed buffer of ${buffer.byteLength} bytes cannot hold its 8-byte length prefix`);
  const n = new DataView(buffer.buffer, buffer.byteOffset, LENGTH_PREFIX).getBigInt64(0, true);
  if (n === STORED) return buffer.byteLength - LENGTH_PREFIX;
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ShardError(`declared uncompressed length ${n} is not a length`);
  return Number(n);
}

/**
 * Decompresses one body buffer (prefix included) into `dst`, whose length is the declared one
 * (declaredLength); throws a ShardError (the reason only) unless the data fills `dst` exactly.
 */
export function decompressBuffer(codec: Codec, buffer: Uint8Array, dst: Uint8Array): void {
  if (buffer.byteLength === 0) return;
  const data = buffer.subarray(LENGTH_PREFIX);
  if (new DataView(buffer.buffer, buffer.byteOffset, LENGTH_PREFIX).getBigInt64(0, true) === STORED) {
    dst.set(data);
    return;
  }
  if (codec === Compression.Lz4) {
    decodeLz4Frames(data, dst);
    return;
  }
  zstdDecompressor ??= new zstdBinding.DCtx();
  let n: number;
  try {
    n = zstdDecompressor.decompress(dst, data);
  } catch (err) {
    throw new ShardError(`zstd: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (n !== dst.length) throw new ShardError(`zstd data holds ${n} bytes, ${dst.length} declared`);
}

/**
 * Average id bytes per row that a compressed record batch may declare: with the fixed-size
 * columns, the bound on what a batch's buffers may claim before anything is decompressed.
 */
export const MAX_ID_BYTES = 4096;

/**
 * The most uncompressed body bytes a compressed record batch of `rows` rows may declare: the
 * fixed-size columns' bytes, ids of MAX_ID_BYTES on average, 64 bytes per row for validity and
 * content hashes, and 8 bytes of alignment per buffer.
 */
export function maxInflatedBytes(meta: DatasetMeta, rows: number, buffers: number): number {
  return rows * (rowBytes(meta) - ID_ALLOWANCE + MAX_ID_BYTES + 64 + jpegAllowance(meta)) + 8 * buffers;
}

/**
 * JPEG-encoded datasets: what a row's JPEG may take beyond its raw patches (4 bytes per sample of
 * its mosaic, more than baseline JPEG's worst case, plus 4 KiB of headers), and its offset.
 */
function jpegAllowance(meta: DatasetMeta): number {
  const enc = meta.patchEncoding;
  if (enc === undefined) return 0;
  const rows = Math.ceil(meta.k / Math.max(1, enc.columns));
  return 4 * enc.columns * enc.cell * rows * enc.cell * meta.channels + 4096 + 4;
}

/**
 * The writer's side of the bound: a batch a compressed shard may hold (ids averaging at most
 * MAX_ID_BYTES), so dlth never writes a compressed shard its readers would refuse.
 */
export function checkInflatable(meta: DatasetMeta, batch: BatchLayout, file: string): void {
  const total = batch.buffers.reduce((n, b) => n + align8(b.byteLength), 0);
  const bound = maxInflatedBytes(meta, batch.numRows, batch.buffers.length);
  if (total > bound) {
    throw new InputError(`a record batch of ${batch.numRows} rows holds ${total} bytes, more than a compressed shard may declare (${bound}: ids average at most ${MAX_ID_BYTES} bytes)`, { file });
  }
}
