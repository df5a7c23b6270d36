/**
 * A pool of decode processes for the patchify stage. sharp does not scale across threads inside one
 * Node process here (libvips' process-wide locking: two concurrent pipelines use ~1.45 of 2 cores,
 * worker_threads alike), while separate processes do: each child (child.ts) patchifies images one
 * at a time, and the parent only moves bytes.
 *
 * - Children start lazily, on the first `encoded` payload; `raw` payloads (IDX pixels) are
 *   patchified in-process, there is no sharp work worth shipping.
 * - IPC: binary frames on pipes (frames.ts), JPEG bytes to the child's stdin, patches back on its
 *   fd 3. The parent writes a request as a small header plus the caller's bytes (no copy) and reads
 *   each result straight into the buffer it returns; the child reads into pooled buffers and splits
 *   the grid straight into a reused output frame.
 * - Scheduling: up to `queueDepth` (default 2) requests are sent to each child, so a child always
 *   has its next image while the parent handles a result; more wait in the parent and go to the
 *   first child with room, which keeps a child busy with a big image from holding up the others.
 *   Callers keep queueDepth × processes requests in flight for that (`defaultConcurrency`).
 * - Errors thrown in a child (ImageError, …) are rebuilt in the parent as the same class with the
 *   same message and file. A child that dies fails the requests it had with a DecodeProcessError
 *   naming each file and the exit code or signal; it is replaced on the next request. Children exit
 *   on stdin EOF, so they never outlive the parent, and ignore SIGINT/SIGTERM (the parent stops
 *   them); `close()` waits for the work in flight, ends stdin and waits for the exits.
 * - Forked with the parent's execArgv, so the same loader applies: under tsx the child is child.ts
 *   (`--import tsx` is added when the parent registered tsx through its API, as bin/dlth.js does),
 *   compiled it is child.js next to this file.
 * - While no request is pending the children and their pipes are unref'd: a forgotten pool never
 *   keeps the parent alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { ImagePayload } from '../sources/types.js';
import { DecodeProcessError, InputError } from '../util/errors.js';
import { decoderSettings } from './decode.js';
import { Frame, FrameReader, HEADER_BYTES, ProtocolError, fromWire, writeHeader, type FrameHeader, type WireError } from './frames.js';
import { patchify, type PatchifyOptions } from './patchify.js';
import type { PatchGrid, PatchifyConfig } from './types.js';

export interface PatchifyPoolOptions {
  /** Decode processes (≥ 1). */
  processes: number;
  /** Requests sent to each child ahead of its results (≥ 1, default 2). */
  queueDepth?: number;
  /** libvips threads per image in the children; default: the parent's configureDecoder setting (1). */
  threadsPerImage?: number;
  /** How long close() waits for a child to exit after its stdin ends before killing it; default 10 s. */
  closeTimeoutMs?: number;
}

interface Request {
  id: number;
  file: string;
  bytes: Uint8Array;
  config: PatchifyConfig;
  out: Uint8Array | undefined;
  resolve(grid: PatchGrid): void;
  reject(err: Error): void;
}

interface Child {
  proc: ChildProcess;
  pid: number;
  stdin: Socket;
  results: Socket;
  /** Sent, awaiting a frame, by request id. */
  inflight: Map<number, Request>;
  /** Config ids already sent to this child. */
  configs: Set<number>;
  ready: boolean;
  gone: boolean;
  /** Why the parent killed it (a protocol error), for the error message. */
  killedFor: string | null;
  exited: Promise<void>;
}

const CHILD = fileURLToPath(new URL(`./child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Node flags of this process that must not reach a child (test runner, inspector, profilers, eval). */
const DROP = /^--(test|experimental-test|inspect|debug|watch|prof|cpu-prof|heap-prof|redirect-warnings)/;
const DROP_WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '--input-type']);

/** The parent's execArgv for a child, plus tsx when the child is TypeScript and tsx came through its API. */
export function childExecArgv(execArgv: readonly string[] = process.execArgv, child: string = CHILD): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (DROP_WITH_VALUE.has(a)) i++;
    else if (!DROP.test(a) && !/^--(eval|print|input-type)=/.test(a)) out.push(a);
  }
  if (child.endsWith('.ts') && !out.some((a) => a.includes('tsx'))) out.push('--import', import.meta.resolve('tsx'));
  return out;
}

export class PatchifyPool {
  readonly processes: number;
  private readonly queueDepth: number;
  private readonly threadsPerImage: number | undefined;
  private readonly closeTimeoutMs: number;
  private readonly children: Child[] = [];
  private readonly queue: Request[] = [];
  private readonly configIds = new WeakMap<PatchifyConfig, number>();
  private readonly configKeys = new Map<string, number>();
  private readonly configById = new Map<number, string>();
  private nextId = 1;
  private pending = 0;
  private idle: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: PatchifyPoolOptions) {
    const { processes, queueDepth = 2, closeTimeoutMs = 10_000 } = options;
    if (!Number.isInteger(processes) || processes < 1) throw new InputError(`decode processes must be a positive integer, got ${processes}`);
    if (!Number.isInteger(queueDepth) || queueDepth < 1) throw new InputError(`queueDepth must be a positive integer, got ${queueDepth}`);
    this.processes = processes;
    this.queueDepth = queueDepth;
    this.threadsPerImage = options.threadsPerImage;
    this.closeTimeoutMs = closeTimeoutMs;
  }

  /** `patchify()` of index.ts, byte for byte, with the decoding done in a child for encoded images. */
  patchify(payload: ImagePayload, config: PatchifyConfig, options: PatchifyOptions = {}): Promise<PatchGrid> {
    if (this.closing) return Promise.reject(new InputError('the patchify pool is closed'));
    if (payload.kind === 'raw') return patchify(payload, config, options);
    return new Promise<PatchGrid>((resolve, reject) => {
      const settle = (): void => {
        if (--this.pending === 0) {
          this.setActive(false);
          this.idle?.();
        }
      };
      this.queue.push({
        id: this.nextId,
        file: payload.file,
        bytes: payload.bytes,
        config,
        out: options.out,
        resolve: (grid) => {
          settle();
          resolve(grid);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      if (this.pending++ === 0) this.setActive(true);
      this.pump();
    });
  }

  /** Pids of the running children (for diagnostics and tests). */
  pids(): number[] {
    return this.children.map((c) => c.pid);
  }

  /** Waits for the requests in flight, then ends the children (killed after closeTimeoutMs). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.pending > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await Promise.all(this.children.map((c) => this.stop(c)));
    })();
    return this.closing;
  }

  private async stop(child: Child): Promise<void> {
    child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.closeTimeoutMs)));
    if ((await Promise.race([child.exited, timeout])) === 'timeout') {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    clearTimeout(timer);
  }

  /** Sends queued requests to the children with room, starting (or replacing) children as needed. */
  private pump(): void {
    while (this.queue.length > 0) {
      while (this.children.length < this.processes) {
        let child: Child;
        try {
          child = this.spawn();
        } catch (err) {
          // No process or no pipes (EMFILE, …): every waiting request fails, later ones try again.
          const reason = err instanceof Error ? err.message : String(err);
          for (const req of this.queue.splice(0)) {
            req.reject(new DecodeProcessError(`decode process could not be started (${reason})`, { file: req.file }));
          }
          return;
        }
        this.children.push(child);
      }
      let best: Child | null = null;
      for (const c of this.children) if (c.inflight.size < this.queueDepth && (!best || c.inflight.size < best.inflight.size)) best = c;
      if (!best) return;
      this.send(best, this.queue.shift() as Request);
    }
  }

  private configId(config: PatchifyConfig): number {
    let id = this.configIds.get(config);
    if (id === undefined) {
      const key = JSON.stringify(config);
      id = this.configKeys.get(key);
      if (id === undefined) {
        id = this.configKeys.size + 1;
        this.configKeys.set(key, id);
        this.configById.set(id, key);
      }
      this.configIds.set(config, id);
    }
    return id;
  }

  private send(child: Child, req: Request): void {
    const configId = this.configId(req.config);
    const { stdin } = child;
    stdin.cork();
    if (!child.configs.has(configId)) {
      const json = Buffer.from(this.configById.get(configId) as string, 'utf8');
      const frame = Buffer.allocUnsafe(HEADER_BYTES + json.length);
      writeHeader(frame, { bodyLen: json.length, type: Frame.Config, id: configId, a: 0, b: 0, c: 0 });
      json.copy(frame, HEADER_BYTES);
      stdin.write(frame);
      child.configs.add(configId);
    }
    const fileLen = Buffer.byteLength(req.file, 'utf8');
    const head = Buffer.allocUnsafe(HEADER_BYTES + fileLen); // small: from Node's shared slab
    writeHeader(head, { bodyLen: fileLen + req.bytes.length, type: Frame.Patchify, id: req.id, a: configId, b: fileLen, c: 0 });
    head.write(req.file, HEADER_BYTES, 'utf8');
    stdin.write(head);
    if (req.bytes.length > 0) stdin.write(req.bytes); // the caller's bytes, not copied
    stdin.uncork();
    child.inflight.set(req.id, req);
  }

  private spawn(): Child {
    const threads = this.threadsPerImage ?? decoderSettings().threadsPerImage;
    // stdout → our stderr: the results travel on fd 3, where a stray print cannot corrupt them.
    const proc = spawn(process.execPath, [...childExecArgv(), CHILD, String(threads)], { stdio: ['pipe', 2, 'inherit', 'pipe'] });
    if (!proc.stdin || !proc.stdio[3]) {
      proc.on('error', () => {}); // the spawn error, reported by the throw below
      proc.kill('SIGKILL');
      throw new Error('no pipes to the child');
    }
    let exited!: () => void;
    const child: Child = {
      proc,
      pid: proc.pid ?? -1,
      stdin: proc.stdin as Socket,
      results: proc.stdio[3] as Socket,
      inflight: new Map(),
      configs: new Set(),
      ready: false,
      gone: false,
      killedFor: null,
      exited: new Promise<void>((resolve) => (exited = resolve)),
    };
    const reader = new FrameReader(
      new Set([Frame.Ready, Frame.Result, Frame.Error]),
      (h) => this.bodyBuffer(child, h),
      (h, body) => this.onFrame(child, h, body),
    );
    child.stdin.on('error', () => {}); // EPIPE once the child is gone: 'close' reports it
    child.results.on('data', (chunk: Buffer) => {
      if (child.killedFor) return;
      try {
        reader.push(chunk);
      } catch (err) {
        child.killedFor = `sent a malformed frame (${err instanceof Error ? err.message : String(err)})`;
        proc.kill('SIGKILL');
      }
    });
    const gone = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
      if (child.gone) return;
      child.gone = true;
      const i = this.children.indexOf(child);
      if (i >= 0) this.children.splice(i, 1);
      this.failInflight(child, code, signal, error);
      exited();
      this.pump(); // requests still queued go to a replacement
    };
    proc.on('error', (err) => gone(null, null, err)); // spawn failed
    proc.on('close', (code, signal) => gone(code, signal));
    if (this.pending === 0) this.setChildActive(child, false);
    return child;
  }

  private bodyBuffer(child: Child, h: FrameHeader): Uint8Array {
    if (h.type !== Frame.Result) return Buffer.allocUnsafe(h.bodyLen);
    const req = child.inflight.get(h.id);
    if (!req) throw new ProtocolError(`result for unknown request ${h.id}`);
    // The caller's buffer when it fits, else a buffer of its own (what in-process patchify returns too).
    return req.out && req.out.length === h.bodyLen ? req.out : Buffer.allocUnsafe(h.bodyLen);
  }

  private onFrame(child: Child, h: FrameHeader, body: Uint8Array): void {
    if (h.type === Frame.Ready) {
      child.ready = true;
      return;
    }
    const req = child.inflight.get(h.id);
    if (!req) throw new ProtocolError(`${h.type === Frame.Error ? 'error' : 'result'} for unknown request ${h.id}`);
    child.inflight.delete(h.id);
    if (h.type === Frame.Error) {
      let wire: WireError;
      try {
        wire = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8')) as WireError;
      } catch {
        throw new ProtocolError(`unreadable error for request ${h.id}`);
      }
      req.reject(fromWire(wire));
    } else if (req.out && req.out.length !== body.length) {
      req.reject(new InputError(`output buffer has ${req.out.length} bytes, expected ${body.length}`));
    } else {
      // The body was read into req.out when given (bodyBuffer): return that very buffer, as in-process.
      req.resolve({ gridH: h.a, gridW: h.b, patchSize: h.c & 0xffff, channels: h.c >>> 16, patches: req.out ?? body });
    }
    this.pump();
  }

  private failInflight(child: Child, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (child.inflight.size === 0) return;
    const how = error
      ? `could not be started (${error.message})`
      : child.killedFor
        ? `${child.killedFor} and was killed`
        : signal
          ? `was killed by ${signal}`
          : `exited with code ${code}`;
    const what = child.ready || error ? how : `${how} during start-up (see its stderr)`;
    const files = [...child.inflight.values()].map((r) => r.file);
    for (const req of child.inflight.values()) {
      const others = files.filter((f) => f !== req.file);
      const also = others.length === 0 ? '' : `; also in flight there: ${others.join(', ')}`;
      req.reject(new DecodeProcessError(`decode process ${child.pid} ${what} while this image was in flight${also}`, {
        file: req.file,
        exitCode: code,
        signal,
      }));
    }
    child.inflight.clear();
  }

  /** Refs the children while requests are pending, unrefs them when idle (see the file comment). */
  private setActive(active: boolean): void {
    for (const c of this.children) this.setChildActive(c, active);
  }

  private setChildActive(child: Child, active: boolean): void {
    for (const h of [child.proc, child.stdin, child.results]) {
      if (active) h.ref();
      else h.unref();
    }
  }
}

/**
 * Images to keep in flight by default: 2 in-process, else 2 per decode process, so that each child
 * has its next image queued while the parent handles its last result. Measured on 2 cores, 2
 * processes: about 310 img/s with 2 in flight, 550 with 4.
 */
export function defaultConcurrency(decodeProcesses: number): number {
  return Math.max(2, 2 * decodeProcesses);
}

/** A pool of `processes` decode processes (see PatchifyPool). */
export function createPatchifyPool(options: PatchifyPoolOptions): PatchifyPool {
  return new PatchifyPool(options);
}
