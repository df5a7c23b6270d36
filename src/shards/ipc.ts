/**
 * Arrow IPC stream framing, shared by the writer and the reader. Each message is
 * `0xFFFFFFFF`, an int32 little-endian metadata length L (a multiple of 8 minus the 8-byte prefix
 * is padded in), L bytes of flatbuffer `Message`, then the body. The stream ends with
 * `0xFFFFFFFF 0x00000000`. Flatbuffers are encoded and decoded with apache-arrow's own codec.
 */
import { MessageHeader, type Schema } from 'apache-arrow';
import type { CompressionType } from 'apache-arrow/fb/compression-type';
import { Message, RecordBatch as BatchHeader, FieldNode, BufferRegion, BodyCompression } from 'apache-arrow/ipc/metadata/message';
import { ShardError } from '../util/errors.js';
import { guardMessage } from './flatbuf-guard.js';
import { jsonTooDeep } from './json-depth.js';
import { METADATA_KEY } from './types.js';

/** Deepest JSON accepted in the schema's `dlth` metadata (it is 3 deep), checked before anyone parses it. */
export const MAX_METADATA_JSON_DEPTH = 32;

export const CONTINUATION = 0xffffffff;
export const PREFIX_BYTES = 8;
/** End-of-stream marker. */
export const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

/** n rounded up to a multiple of 8 (exact for every safe integer: no 32-bit bitwise arithmetic). */
export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** A zero buffer used for padding (max 7 bytes, at most 63 for safety). */
export const ZEROS = new Uint8Array(64);

function frame(flatbuffer: Uint8Array): Uint8Array {
  const total = align8(PREFIX_BYTES + flatbuffer.byteLength);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, total - PREFIX_BYTES, true);
  out.set(flatbuffer, PREFIX_BYTES);
  return out;
}

/** The framed schema message. */
export function encodeSchemaMessage(schema: Schema): Uint8Array {
  return frame(Message.encode(Message.from(schema)));
}

export interface BatchLayout {
  numRows: number;
  /** Field nodes in depth-first order: [length, nullCount]. */
  nodes: ReadonlyArray<readonly [number, number]>;
  /** Body buffers in order; each is written then zero-padded to 8 bytes. */
  buffers: readonly Uint8Array[];
  /** Set when the buffers are compressed (encode/compression.ts): the header records the codec. */
  compression?: CompressionType;
}

/** Body length of a batch (every buffer padded to 8 bytes). */
export function bodyLength(batch: BatchLayout): number {
  let n = 0;
  for (const b of batch.buffers) n += align8(b.byteLength);
  return n;
}

/** The framed record-batch message header for `batch` (its body follows). */
export function encodeBatchHeader(batch: BatchLayout): Uint8Array {
  const nodes = batch.nodes.map(([length, nulls]) => new FieldNode(length, nulls));
  let offset = 0;
  const regions = batch.buffers.map((b) => {
    const region = new BufferRegion(offset, b.byteLength);
    offset += align8(b.byteLength);
    return region;
  });
  const compression = batch.compression === undefined ? null : new BodyCompression(batch.compression);
  const header = new BatchHeader(batch.numRows, nodes, regions, compression);
  return frame(Message.encode(Message.from(header, offset)));
}

export interface DecodedMessage {
  type: MessageHeader;
  bodyLength: number;
  message: Message;
  /** The decoded header (schema or record batch), decoded once, here: a malformed one throws here. */
  header: ReturnType<Message['header']>;
}

/**
 * Decodes a message flatbuffer (without its 8-byte prefix). Throws on malformed input: first a
 * ShardError (naming `file` when given) from the bounded guard walk, which apache-arrow needs
 * because it loops for minutes, or recurses, on corrupt lengths (see flatbuf-guard.ts); only
 * Schema and RecordBatch messages pass.
 */
export function decodeMessage(flatbuffer: Uint8Array, file?: string): DecodedMessage {
  guardMessage(flatbuffer, file);
  const message = Message.decode(flatbuffer);
  // header() decodes lazily and throws (e.g. "not safe to convert to a number" for a corrupt
  // buffer region) on bad input: decode it now, inside the caller's error handling.
  const header = message.header();
  if (message.headerType === MessageHeader.Schema) {
    const raw = (header as Schema).metadata.get(METADATA_KEY);
    if (raw !== undefined && jsonTooDeep(raw, MAX_METADATA_JSON_DEPTH) >= 0) {
      throw new ShardError(`schema metadata "${METADATA_KEY}" is JSON nested deeper than ${MAX_METADATA_JSON_DEPTH} levels`, file ? { file } : {});
    }
  }
  return { type: message.headerType, bodyLength: Number(message.bodyLength), message, header };
}

export { MessageHeader, BatchHeader };

/** A record batch framed for an IPC stream: its header, then each body buffer padded to 8 bytes. */
export function frameBatch(batch: BatchLayout): Uint8Array[] {
  const parts: Uint8Array[] = [encodeBatchHeader(batch)];
  for (const b of batch.buffers) {
    if (b.byteLength > 0) parts.push(b);
    const pad = align8(b.byteLength) - b.byteLength;
    if (pad > 0) parts.push(ZEROS.subarray(0, pad));
  }
  return parts;
}
