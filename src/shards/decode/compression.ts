/**
 * A compressed record batch made plain (mirror of encode/compression.ts): the codec checked
 * against `meta.compression`, the row count against what the manifest leaves, every buffer's
 * declared uncompressed length against the bound those rows imply — all before anything is
 * decompressed — then each buffer decompressed into one body laid out as an uncompressed one
 * (8-byte-aligned buffers), with a header whose regions describe it. The column decoders then read
 * compressed and plain batches alike, with all their checks.
 */
import { BodyCompressionMethod } from 'apache-arrow/fb/body-compression-method';
import { BufferRegion } from 'apache-arrow/ipc/metadata/message';
import { DlthError, ShardError } from '../../util/errors.js';
import { codecOf, declaredLength, decompressBuffer, maxInflatedBytes } from '../compression.js';
import { align8, BatchHeader } from '../ipc.js';
import type { DatasetMeta } from '../types.js';

export interface PlainBatch {
  header: BatchHeader;
  body: Uint8Array;
}

function fail(file: string, message: string): never {
  throw new ShardError(message, { file });
}

/** The reason of a codec error (ShardErrors thrown without a file), for one line naming the file. */
function reason(err: unknown): string {
  if (err instanceof DlthError && err.file === undefined) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** The checked codec of a compressed batch: the one `meta.compression` records, method BUFFER. */
function batchCodec(header: BatchHeader, meta: DatasetMeta, file: string): NonNullable<DatasetMeta['compression']> {
  const compression = header.compression as NonNullable<BatchHeader['compression']>;
  const codec = codecOf(compression.type);
  if (codec === null) fail(file, `record batch compressed with unknown codec ${compression.type}`);
  if (compression.method !== BodyCompressionMethod.BUFFER) fail(file, `record batch body compression method ${compression.method} (only BUFFER exists)`);
  if (meta.compression === undefined) fail(file, `record batch compressed with ${codec}, but the dataset is uncompressed (meta.compression absent)`);
  if (codec !== meta.compression) fail(file, `record batch compressed with ${codec}, the dataset records ${meta.compression}`);
  return codec;
}

/** Each buffer of the packed body (checked to lie inside it, aligned) and its declared length. */
function packedBuffers(header: BatchHeader, packed: Uint8Array, file: string): { buffer: Uint8Array; length: number }[] {
  return header.buffers.map(({ offset, length }, i) => {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > packed.length) {
      fail(file, `compressed buffer ${i}: [${offset}, +${length}) lies outside the ${packed.length}-byte body`);
    }
    if (offset % 8 !== 0) fail(file, `compressed buffer ${i}: offset ${offset} is not 8-byte aligned`);
    const buffer = packed.subarray(offset, offset + length);
    try {
      return { buffer, length: declaredLength(buffer) };
    } catch (err) {
      return fail(file, `compressed buffer ${i}: ${reason(err)}`);
    }
  });
}

/**
 * Decompresses a compressed record batch into `into(n)` (n = the plain body's size). `maxRows`:
 * rows the shard may still hold (its manifest count less those read).
 */
export function inflateBatch(header: BatchHeader, packed: Uint8Array, meta: DatasetMeta, maxRows: number, file: string, into: (n: number) => Uint8Array): PlainBatch {
  const codec = batchCodec(header, meta, file);
  const rows = header.length;
  if (!Number.isSafeInteger(rows) || rows < 0) fail(file, `bad row count ${String(rows)}`);
  if (rows > maxRows) fail(file, `a record batch of ${rows} rows exceeds the ${maxRows} the manifest leaves`);
  const buffers = packedBuffers(header, packed, file);
  const total = buffers.reduce((n, b) => n + align8(b.length), 0);
  const bound = maxInflatedBytes(meta, rows, buffers.length);
  if (total > bound) fail(file, `a compressed record batch of ${rows} rows declares ${total} uncompressed bytes, more than the ${bound} such rows can hold`);
  const body = into(total);
  let at = 0;
  const regions = buffers.map(({ buffer, length }, i) => {
    try {
      decompressBuffer(codec, buffer, body.subarray(at, at + length));
    } catch (err) {
      fail(file, `compressed buffer ${i} (${codec}): ${reason(err)}`);
    }
    const region = new BufferRegion(at, length);
    at += align8(length);
    return region;
  });
  return { header: new BatchHeader(rows, header.nodes, regions, null, header.variadicBufferCounts), body };
}
