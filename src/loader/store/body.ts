/**
 * Reading a fetch Response body with an idle timeout, a minimum average rate, an optional overall
 * deadline, a stop signal and a byte cap, either whole (the manifest) or as a ShardSource that
 * fills caller buffers (a shard, streamed without buffering it twice).
 */
import { InterruptedError, IoError } from '../../util/errors.js';
import type { ShardSource } from '../../shards/store.js';

export interface BodyLimits {
  /** Longest wait for one chunk, in ms; also the time before the rate is first checked. */
  timeoutMs: number;
  /** Minimum average rate since the body started, in bytes/s (0: no check). */
  minBytesPerSec: number;
  /** Overall deadline of the request (from `requestStarted`), in ms, or null for none. */
  deadlineMs: number | null;
  signal: AbortSignal;
}

/** The InterruptedError of a stop request that ended a transfer from `url`. */
export function interruptedBy(signal: AbortSignal, url: string): InterruptedError {
  return new InterruptedError(`stopped (${String(signal.reason)}) while reading ${url}`);
}

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

export class BodyReader {
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private pending: Uint8Array = new Uint8Array(0);
  private received = 0;
  private done = false;
  private readonly started = Date.now();

  /** `requestStarted`: Date.now() when the request was sent (the deadline counts from there). */
  constructor(readonly response: Response, private readonly url: string, private readonly limits: BodyLimits, private readonly requestStarted = Date.now()) {}

  async cancel(): Promise<void> {
    await (this.reader ?? this.response.body)?.cancel().catch(() => undefined);
  }

  /** The whole body, failing with `tooLarge` past `limit` bytes. */
  async readAll(limit: number, tooLarge: (n: number) => Error): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (let chunk = await this.chunk(); chunk; chunk = await this.chunk()) {
      if (this.received > limit) {
        await this.cancel();
        throw tooLarge(this.received);
      }
      parts.push(chunk);
    }
    const out = new Uint8Array(this.received);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /** A ShardSource over the body; more than `limit` bytes is an error. */
  source(limit: number, tooLarge: (n: number) => Error): ShardSource {
    return {
      read: async (into) => {
        if (this.pending.byteLength === 0) {
          const chunk = await this.chunk();
          if (!chunk) return 0;
          if (this.received > limit) {
            await this.cancel();
            throw tooLarge(this.received);
          }
          this.pending = chunk;
        }
        const n = Math.min(into.byteLength, this.pending.byteLength);
        into.set(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
        return n;
      },
      close: () => this.cancel(),
    };
  }

  /** The next non-empty chunk, or null at the end. Throws IoError on idle timeout or network error. */
  private async chunk(): Promise<Uint8Array | null> {
    if (this.done) return null;
    const body = this.response.body;
    if (!body) {
      this.done = true;
      return null;
    }
    this.reader ??= body.getReader();
    for (;;) {
      const result = await this.withTimeout(this.reader.read());
      if (result.done) {
        this.done = true;
        return null;
      }
      if (result.value.byteLength === 0) continue;
      this.received += result.value.byteLength;
      await this.checkRate();
      return result.value;
    }
  }

  /** Fails a transfer slower on average than minBytesPerSec once it has run for timeoutMs. */
  private async checkRate(): Promise<void> {
    const { minBytesPerSec, timeoutMs } = this.limits;
    const elapsed = Date.now() - this.started;
    if (minBytesPerSec === 0 || elapsed < timeoutMs) return;
    const rate = (this.received * 1000) / elapsed;
    if (rate >= minBytesPerSec) return;
    await this.cancel();
    throw new IoError(`transfer too slow: ${this.received} bytes in ${(elapsed / 1000).toFixed(1)} s (${rate.toFixed(1)} bytes/s, minimum ${minBytesPerSec})`, { file: this.url });
  }

  /** The read, or an IoError at the idle timeout or the deadline, or InterruptedError on a stop. */
  private async withTimeout(read: Promise<ReadResult>): Promise<ReadResult> {
    const { timeoutMs, deadlineMs, signal } = this.limits;
    const left = deadlineMs === null ? Infinity : deadlineMs - (Date.now() - this.requestStarted);
    const wait = Math.max(0, Math.min(timeoutMs, left));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const limit = new Promise<never>((_, reject) => {
      const why = left <= timeoutMs ? `over the ${deadlineMs} ms deadline of the request` : `no data for ${timeoutMs} ms`;
      timer = setTimeout(() => reject(new IoError(`${why} while reading the body (${this.received} bytes received)`, { file: this.url })), wait);
      onAbort = () => reject(interruptedBy(signal, this.url));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([read, limit]);
    } catch (err) {
      await this.cancel();
      if (err instanceof IoError || err instanceof InterruptedError) throw err;
      throw new IoError(`reading the body failed: ${err instanceof Error ? err.message : String(err)}`, { file: this.url, cause: err });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}
