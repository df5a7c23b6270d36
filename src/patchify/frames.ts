/**
 * The wire protocol between the patchify pool (procpool.ts) and its decode processes (child.ts):
 * binary frames on pipes, one request id per frame. Every frame is a fixed 24-byte header of six
 * little-endian u32 — body length, type, id, a, b, c — then the body:
 *
 *   parent → child (stdin)
 *     Config    id = config id;                              body = the PatchifyConfig as JSON (once per config and child)
 *     Patchify  id = request id; a = config id; b = file name bytes; body = file name (UTF-8) + encoded image bytes
 *   child → parent (fd 3)
 *     Ready     a = pid;                                     no body (sent once, after sharp is loaded and configured)
 *     Result    id; a = gridH; b = gridW; c = patchSize | channels << 16; body = the patches
 *     Error     id;                                          body = WireError as JSON
 *
 * Bodies are read straight into their final buffer (FrameReader asks for it once the header is in),
 * so a result costs one copy out of the pipe's chunks and no concatenation.
 */
import {
  BackendError,
  CheckpointError,
  DecodeProcessError,
  DlthError,
  ErrorCode,
  ImageError,
  InputError,
  InterruptedError,
  IoError,
  ManifestError,
  ModelError,
  PipelineError,
  ShardError,
  TooManyFailuresError,
} from '../util/errors.js';

export const Frame = {
  Config: 1,
  Patchify: 2,
  Ready: 3,
  Result: 4,
  Error: 5,
} as const;
export type FrameType = (typeof Frame)[keyof typeof Frame];

export const HEADER_BYTES = 24;
/** Larger bodies are a protocol error (a 16k × 16k RGB result is 768 MiB). */
export const MAX_BODY_BYTES = 1 << 30;

export interface FrameHeader {
  bodyLen: number;
  type: number;
  id: number;
  a: number;
  b: number;
  c: number;
}

export function writeHeader(buf: Buffer, h: FrameHeader, offset = 0): void {
  buf.writeUInt32LE(h.bodyLen, offset);
  buf.writeUInt32LE(h.type, offset + 4);
  buf.writeUInt32LE(h.id, offset + 8);
  buf.writeUInt32LE(h.a, offset + 12);
  buf.writeUInt32LE(h.b, offset + 16);
  buf.writeUInt32LE(h.c, offset + 20);
}

/** Thrown by FrameReader on a frame that cannot be valid; the stream is unusable afterwards. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Incremental frame parser over a byte stream. `target(header)` supplies the buffer the body is
 * read into (at least bodyLen bytes: pooled or the caller's result buffer); `onFrame` gets the
 * header, the body (a view of bodyLen bytes) and the target buffer it lives in.
 */
export class FrameReader {
  private readonly head = Buffer.alloc(HEADER_BYTES);
  private headFill = 0;
  private header: FrameHeader | null = null;
  private buffer: Buffer | Uint8Array = this.head;
  private body: Uint8Array = this.head;
  private bodyFill = 0;

  constructor(
    private readonly types: ReadonlySet<number>,
    private readonly target: (header: FrameHeader) => Buffer | Uint8Array,
    private readonly onFrame: (header: FrameHeader, body: Uint8Array, buffer: Buffer | Uint8Array) => void,
  ) {}

  /** Consumes a chunk; throws ProtocolError on a malformed header. */
  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (!this.header) {
        const n = Math.min(HEADER_BYTES - this.headFill, chunk.length - off);
        this.head.set(chunk.subarray(off, off + n), this.headFill);
        this.headFill += n;
        off += n;
        if (this.headFill < HEADER_BYTES) return;
        this.headFill = 0;
        this.begin();
      } else {
        const n = Math.min(this.body.length - this.bodyFill, chunk.length - off);
        this.body.set(chunk.subarray(off, off + n), this.bodyFill);
        this.bodyFill += n;
        off += n;
      }
      if (this.header && this.bodyFill === this.body.length) this.emit(this.header);
    }
  }

  /** True between frames (no partial frame buffered). */
  get idle(): boolean {
    return !this.header && this.headFill === 0;
  }

  private begin(): void {
    const h = this.head;
    const header: FrameHeader = {
      bodyLen: h.readUInt32LE(0),
      type: h.readUInt32LE(4),
      id: h.readUInt32LE(8),
      a: h.readUInt32LE(12),
      b: h.readUInt32LE(16),
      c: h.readUInt32LE(20),
    };
    if (!this.types.has(header.type)) throw new ProtocolError(`unknown frame type ${header.type}`);
    if (header.bodyLen > MAX_BODY_BYTES) throw new ProtocolError(`frame body of ${header.bodyLen} bytes`);
    const buffer = this.target(header);
    if (buffer.length < header.bodyLen) throw new ProtocolError(`no buffer for a body of ${header.bodyLen} bytes`);
    this.header = header;
    this.buffer = buffer;
    this.body = buffer.subarray(0, header.bodyLen);
    this.bodyFill = 0;
  }

  private emit(header: FrameHeader): void {
    const { body, buffer } = this;
    this.header = null;
    this.body = this.head;
    this.buffer = this.head;
    this.onFrame(header, body, buffer);
  }
}

/**
 * A free list of byte buffers reused across frames: fresh memory costs a page fault per 4 KiB on
 * first touch, more than the copy into it. `acquire(n)` returns a buffer of at least n bytes.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep = 8) {}

  acquire(n: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i].length;
      if (len >= n && (best < 0 || len < this.free[best].length)) best = i;
    }
    if (best >= 0) return this.free.splice(best, 1)[0];
    // Round up so that slightly larger images reuse the buffer instead of replacing it.
    return Buffer.allocUnsafeSlow(Math.max(n + (n >> 3), 4096));
  }

  release(buf: Buffer): void {
    if (this.free.length >= this.keep) {
      // Keep the largest buffers: drop the smallest one if it is smaller than this one.
      let min = 0;
      for (let i = 1; i < this.free.length; i++) if (this.free[i].length < this.free[min].length) min = i;
      if (this.free[min].length >= buf.length) return;
      this.free.splice(min, 1);
    }
    this.free.push(buf);
  }
}

/** An error as it crosses the pipe: enough to rebuild the same class, message and file. */
export interface WireError {
  name: string;
  message: string;
  file?: string;
  code?: string;
  /** PipelineError's JSON path, IoError's syscall code, TooManyFailuresError's count, DecodeProcessError's exit. */
  path?: string;
  syscallCode?: string;
  failures?: number;
  exitCode?: number | null;
  signal?: string | null;
  /** The cause's message (the cause itself, e.g. a libvips error, is not rebuilt). */
  cause?: string;
  stack?: string;
}

export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const wire: WireError = { name: err.name, message: err.message, stack: err.stack };
  if (err.cause !== undefined) wire.cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
  if (err instanceof DlthError) {
    wire.code = err.code;
    if (err.file !== undefined) wire.file = err.file;
    if (err instanceof PipelineError) wire.path = err.path;
    if (err instanceof IoError && err.syscallCode !== undefined) wire.syscallCode = err.syscallCode;
    if (err instanceof TooManyFailuresError) wire.failures = err.failures;
    if (err instanceof DecodeProcessError) {
      wire.exitCode = err.exitCode;
      wire.signal = err.signal;
    }
  }
  return wire;
}

/**
 * Rebuilds an error sent by `toWire`: the same class for the typed errors of util/errors.ts (an
 * Error of the same name otherwise), with the same message and file.
 */
export function fromWire(wire: WireError): Error {
  const file = wire.file;
  const cause = wire.cause === undefined ? undefined : new Error(wire.cause);
  const options = { file, cause };
  // DlthError prefixes the message with the file; the constructors add it back.
  const bare = file !== undefined && wire.message.startsWith(`${file}: `) ? wire.message.slice(file.length + 2) : wire.message;
  let err: Error;
  switch (wire.name) {
    case 'InputError': err = new InputError(bare, options); break;
    case 'ImageError': err = new ImageError(bare, options); break;
    case 'DecodeProcessError': err = new DecodeProcessError(bare, { ...options, exitCode: wire.exitCode, signal: wire.signal }); break;
    case 'ShardError': err = new ShardError(bare, options); break;
    case 'ManifestError': err = new ManifestError(bare, options); break;
    case 'BackendError': err = new BackendError(bare, options); break;
    case 'ModelError': err = new ModelError(bare, options); break;
    case 'CheckpointError': err = new CheckpointError(bare, options); break;
    case 'IoError': err = new IoError(bare, { ...options, syscallCode: wire.syscallCode }); break;
    case 'PipelineError': err = new PipelineError(bare, wire.path ?? '', options); break;
    case 'InterruptedError': err = new InterruptedError(bare); break;
    case 'TooManyFailuresError': err = new TooManyFailuresError(bare, wire.failures ?? 0, options); break;
    default: {
      const Builtin = BUILTIN_ERRORS.get(wire.name);
      if (wire.code !== undefined && isErrorCode(wire.code)) err = new DlthError(wire.code, bare, options);
      else if (Builtin) err = new Builtin(wire.message, { cause });
      else err = new Error(wire.message, { cause });
      err.name = wire.name;
    }
  }
  // Exactly the child's message, whatever a constructor adds (PipelineError's path prefix, …).
  err.message = wire.message;
  if (wire.stack !== undefined) err.stack = wire.stack;
  return err;
}

const BUILTIN_ERRORS = new Map<string, ErrorConstructor>(
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((c) => [c.name, c]),
);

function isErrorCode(code: string): code is ErrorCode {
  return (Object.values(ErrorCode) as string[]).includes(code);
}
