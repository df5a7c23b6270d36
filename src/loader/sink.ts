/**
 * Writing to a pipe (stdout) with backpressure and a quiet end when the reader goes away: `write`
 * resolves once the data has been handed to the OS (so the caller may reuse its buffers), and
 * resolves false instead of throwing after EPIPE (the consumer closed the pipe; not an error).
 */
import type { Writable } from 'node:stream';
import { ioError } from '../util/errors.js';

export class PipeSink {
  private closedByReader = false;
  private failure: Error | null = null;

  constructor(private readonly out: Writable, private readonly name = 'stdout') {
    out.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
  }

  /** True once the reader closed the pipe. */
  get closed(): boolean {
    return this.closedByReader;
  }

  /** Writes `parts` in order; resolves true when written, false if the pipe was closed. */
  async write(parts: readonly Uint8Array[]): Promise<boolean> {
    if (this.closedByReader) return false;
    if (this.failure) throw this.failure;
    const last = new Promise<void>((resolve) => {
      parts.forEach((p, i) => {
        const cb = i === parts.length - 1 ? (err?: Error | null) => this.afterWrite(err, resolve) : undefined;
        this.out.write(p, cb);
      });
      if (parts.length === 0) resolve();
    });
    await last;
    if (this.failure) throw this.failure;
    return !this.closedByReader;
  }

  private afterWrite(err: Error | null | undefined, resolve: () => void): void {
    if (err) this.onError(err as NodeJS.ErrnoException);
    resolve();
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.closedByReader = true;
    else this.failure ??= ioError(err, this.name, 'write');
  }
}
