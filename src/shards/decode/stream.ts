/**
 * Incremental parser of an Arrow IPC stream from a ShardSource: reads each message's prefix,
 * flatbuffer and body straight into reused buffers (growing only up to the shard's declared size),
 * optionally hashing every byte. A compressed record batch's body goes to a separate buffer
 * (`ensurePacked`): the reader decompresses it into `ensureBody` (compression.ts). Mirrors
 * ShardFile on the writer side.
 */
import type { Hash } from 'node:crypto';
import { ShardError } from '../../util/errors.js';
import { CONTINUATION, decodeMessage, MessageHeader, PREFIX_BYTES, type BatchHeader, type DecodedMessage } from '../ipc.js';
import type { ShardSource } from '../store.js';

/** Largest message flatbuffer accepted (schemas with long class lists stay far below). */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;

export interface StreamMessage extends DecodedMessage {
  /** The body: a view into a reused buffer, valid until the next call (compressed for a compressed record batch). */
  body: Uint8Array;
}

/** True for a record batch message whose body is compressed. */
export function isCompressed(m: DecodedMessage): boolean {
  return m.type === MessageHeader.RecordBatch && (m.header as BatchHeader).compression != null;
}

/** Reused buffers of one reading loop. */
export class ReadBuffers {
  prefix = new Uint8Array(PREFIX_BYTES);
  meta = new Uint8Array(64 * 1024);
  body = new Uint8Array(0);
  packed = new Uint8Array(0);

  /** Where a message's (uncompressed) body goes. */
  ensureBody(n: number): Uint8Array {
    if (this.body.length < n) this.body = new Uint8Array(Math.max(n, Math.ceil(this.body.length * 1.25)));
    return this.body.subarray(0, n);
  }

  /** Where a compressed record batch's body is read, before it is decompressed into ensureBody. */
  ensurePacked(n: number): Uint8Array {
    if (this.packed.length < n) this.packed = new Uint8Array(Math.max(n, Math.ceil(this.packed.length * 1.25)));
    return this.packed.subarray(0, n);
  }

  pixels = new Uint8Array(0);

  /** Where a JPEG-encoded batch's decoded patches go (the body still holds the JPEGs). */
  ensurePixels(n: number): Uint8Array {
    if (this.pixels.length < n) this.pixels = new Uint8Array(Math.max(n, Math.ceil(this.pixels.length * 1.25)));
    return this.pixels.subarray(0, n);
  }

  ensureMeta(n: number): Uint8Array {
    if (this.meta.length < n) this.meta = new Uint8Array(n);
    return this.meta.subarray(0, n);
  }
}

export class StreamParser {
  private consumed = 0;

  constructor(
    private readonly src: ShardSource,
    private readonly file: string,
    /** The shard's size: no message may claim more. */
    private readonly size: number,
    private readonly buffers: ReadBuffers,
    private readonly hash: Hash | null,
  ) {}

  get position(): number {
    return this.consumed;
  }

  /** The next message, or null at the end-of-stream marker (which must end the file). */
  async next(): Promise<StreamMessage | null> {
    const prefix = await this.readExact(this.buffers.prefix, 'message prefix');
    const view = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES);
    if (view.getUint32(0, true) !== CONTINUATION) {
      throw this.error(`no IPC continuation marker at byte ${this.consumed - PREFIX_BYTES} (not an Arrow stream, or a legacy/file format)`);
    }
    const metaLength = view.getInt32(4, true);
    if (metaLength === 0) {
      await this.expectEnd();
      return null;
    }
    if (metaLength < 0 || metaLength > MAX_METADATA_BYTES || metaLength > this.size - this.consumed || metaLength % 8 !== 0) {
      throw this.error(`bad message metadata length ${metaLength} at byte ${this.consumed - 4}`);
    }
    const flatbuffer = await this.readExact(this.buffers.ensureMeta(metaLength), 'message metadata');
    let decoded: DecodedMessage;
    try {
      decoded = decodeMessage(flatbuffer);
    } catch (err) {
      throw this.error(`malformed message metadata (${err instanceof Error ? err.message : String(err)})`);
    }
    const { bodyLength } = decoded;
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyLength > this.size - this.consumed) {
      throw this.error(`message body of ${bodyLength} bytes exceeds the shard's remaining ${this.size - this.consumed} bytes`);
    }
    const into = isCompressed(decoded) ? this.buffers.ensurePacked(bodyLength) : this.buffers.ensureBody(bodyLength);
    const body = await this.readExact(into, 'message body');
    return { ...decoded, body };
  }

  private async readExact(into: Uint8Array, what: string): Promise<Uint8Array> {
    let got = 0;
    while (got < into.length) {
      const n = await this.src.read(into.subarray(got));
      if (n === 0) throw this.error(`truncated: end of file inside the ${what} at byte ${this.consumed + got}`);
      got += n;
    }
    this.consumed += got;
    this.hash?.update(into);
    return into;
  }

  private async expectEnd(): Promise<void> {
    const probe = this.buffers.prefix;
    const n = await this.src.read(probe);
    if (n !== 0) throw this.error(`data after the end-of-stream marker at byte ${this.consumed}`);
  }

  error(message: string): ShardError {
    return new ShardError(message, { file: this.file });
  }
}
