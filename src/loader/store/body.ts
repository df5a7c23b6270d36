/**
 * Reading a fetch Response body with an idle timeout and a byte cap, either whole (the manifest)
 * or as a ShardSource that fills caller buffers (a shard, streamed without buffering it twice).
 */
import { IoError } from '../../util/errors.js';
import type { ShardSource } from '../../shards/store.js';

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

export class BodyReader {
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private pending: Uint8Array = new Uint8Array(0);
  private received = 0;
  private done = false;

  constructor(readonly response: Response, private readonly url: string, private readonly timeoutMs: number) {}

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
      return result.value;
    }
  }

  private async withTimeout(read: Promise<ReadResult>): Promise<ReadResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IoError(`no data for ${this.timeoutMs} ms while reading the body`, { file: this.url })), this.timeoutMs);
    });
    try {
      return await Promise.race([read, timeout]);
    } catch (err) {
      await this.cancel();
      if (err instanceof IoError) throw err;
      throw new IoError(`reading the body failed: ${err instanceof Error ? err.message : String(err)}`, { file: this.url, cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}
