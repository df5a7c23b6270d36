/**
 * The data-parallel exchange file: one file on a memory file system (/dev/shm where it exists,
 * else the temporary directory), in a private directory (0700), read and written at offsets by the
 * trainer and its workers. Layout: the parameters at 0 (float32, written by the trainer each step),
 * then one gradient region per worker, then the batch parts (placed per step).
 */
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Exchange {
  private size = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly dir: string | null,
    private readonly fd: number,
  ) {}

  /** A new exchange file (the trainer's side). */
  static create(): Exchange {
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    const dir = mkdtempSync(join(base, 'dlth-dp-'));
    const path = join(dir, 'exchange');
    return new Exchange(path, dir, openSync(path, 'w+', 0o600));
  }

  /** The file a trainer made (a worker's side). */
  static open(path: string): Exchange {
    return new Exchange(path, null, openSync(path, 'r+'));
  }

  /** Grows the file to at least `bytes`. */
  reserve(bytes: number): void {
    if (bytes > this.size) {
      ftruncateSync(this.fd, bytes);
      this.size = bytes;
    }
  }

  write(at: number, data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
  }

  /** Fills `into` from `at`; a short file is an error (the writer had not written it). */
  read(at: number, into: ArrayBufferView): void {
    const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.fd, bytes, done, bytes.length - done, at + done);
      if (n === 0) throw new Error(`the exchange file ${this.path} ends at ${at + done}, before ${at + bytes.length}`);
      done += n;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `n` rounded up to a multiple of 64 (each region starts on a cache line). */
export function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}
