/**
 * A decode process of the patchify pool (procpool.ts): reads Config and Patchify frames on stdin,
 * patchifies the images one at a time, in arrival order, and writes Result or Error frames on fd 3
 * (frames.ts). stdout is not used (the pool points it at the parent's stderr) so that a stray print
 * can never corrupt the stream.
 *
 * Imports only the patchify code and sharp: no tfjs, so it starts fast. Exits when stdin ends (the
 * pool closes it, or the parent died) once the images already received are done. SIGINT and
 * SIGTERM are ignored: a terminal's Ctrl-C reaches the whole process group, and the parent decides
 * when to stop (a graceful stop still needs the images in flight).
 *
 *   node [parent's execArgv] child.js <libvips threads per image>
 */
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { configureDecoder } from './decode.js';
import { patchify } from './patchify.js';
import { BufferPool, Frame, FrameReader, HEADER_BYTES, toWire, writeHeader, type FrameHeader } from './frames.js';
import type { PatchifyConfig } from './types.js';

interface Job {
  id: number;
  configId: number;
  file: string;
  bytes: Uint8Array;
  /** The pooled buffer the request body was read into, released once the image is done. */
  buffer: Buffer;
}

const threads = Number(process.argv[2] ?? '1');
configureDecoder({ threadsPerImage: Number.isInteger(threads) && threads > 0 ? threads : 1 });
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

const results = new Socket({ fd: 3, readable: false, writable: true });
results.on('error', () => process.exit(0)); // the parent is gone (EPIPE): nobody wants the results

const configs = new Map<number, PatchifyConfig>();
const inputs = new BufferPool();
const outputs = new BufferPool();
const queue: Job[] = [];
let busy = false;
let ended = false;

function send(header: FrameHeader, frame: Buffer, done?: () => void): void {
  writeHeader(frame, header);
  results.write(frame, done);
}

function sendError(id: number, err: unknown): void {
  const json = Buffer.from(JSON.stringify(toWire(err)), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + json.length);
  json.copy(frame, HEADER_BYTES);
  send({ bodyLen: json.length, type: Frame.Error, id, a: 0, b: 0, c: 0 }, frame);
}

async function run(job: Job): Promise<void> {
  const config = configs.get(job.configId);
  if (!config) {
    sendError(job.id, new Error(`decode process: unknown config ${job.configId}`));
    return;
  }
  const total = config.imageSize[0] * config.imageSize[1] * config.channels;
  // Header and patches in one reused buffer: the grid is split straight into it, one write per image.
  const frame = outputs.acquire(HEADER_BYTES + total);
  try {
    const grid = await patchify({ kind: 'encoded', file: job.file, bytes: job.bytes }, config, {
      out: frame.subarray(HEADER_BYTES, HEADER_BYTES + total),
    });
    const header = { bodyLen: total, type: Frame.Result, id: job.id, a: grid.gridH, b: grid.gridW, c: grid.patchSize | (grid.channels << 16) };
    send(header, frame.subarray(0, HEADER_BYTES + total), () => outputs.release(frame));
  } catch (err) {
    outputs.release(frame);
    sendError(job.id, err);
  }
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  for (let job = queue.shift(); job; job = queue.shift()) {
    try {
      await run(job);
    } finally {
      inputs.release(job.buffer);
    }
  }
  busy = false;
  if (ended) finish();
}

function finish(): void {
  results.end(() => process.exit(0));
}

const reader = new FrameReader(
  new Set([Frame.Config, Frame.Patchify]),
  (h) => (h.type === Frame.Patchify ? inputs.acquire(h.bodyLen) : Buffer.allocUnsafe(h.bodyLen)),
  (h, body, buffer) => {
    if (h.type === Frame.Config) {
      configs.set(h.id, JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8')) as PatchifyConfig);
      return;
    }
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.length);
    queue.push({ id: h.id, configId: h.a, file: bytes.toString('utf8', 0, h.b), bytes: bytes.subarray(h.b), buffer: buffer as Buffer });
    void drain();
  },
);

// stdin read into one reused buffer (`onread`, honoured by the Socket constructor though only typed
// for connect()) rather than a fresh chunk per read.
const stdinOptions: SocketConstructorOpts & { onread: OnReadOpts } = {
  fd: 0,
  readable: true,
  writable: false,
  onread: {
    buffer: Buffer.allocUnsafe(1 << 16),
    callback: (n: number, buf: Uint8Array): boolean => {
      try {
        reader.push(buf.subarray(0, n));
      } catch (err) {
        process.stderr.write(`dlth decode process ${process.pid}: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(70);
      }
      return true;
    },
  },
};
const stdin = new Socket(stdinOptions);
stdin.on('end', () => {
  ended = true;
  if (!busy) finish();
});
stdin.on('error', () => process.exit(0));

const ready = Buffer.allocUnsafe(HEADER_BYTES);
send({ bodyLen: 0, type: Frame.Ready, id: 0, a: process.pid, b: 0, c: 0 }, ready);
