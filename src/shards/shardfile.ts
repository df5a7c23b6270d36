/**
 * One shard being written: a new temporary file (openTemp: never through a planted link), bytes
 * hashed as they are written, committed by an fsync and a rename (renameTemp: only over a regular
 * file or nothing). Any I/O failure removes the temporary file and throws an IoError naming the
 * shard. Everything goes through the injectable Fs.
 */
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Hash } from 'node:crypto';
import { ioError } from '../util/errors.js';
import { newSha256 } from '../util/hash.js';
import { openTemp, renameTemp, syncDir, tempName, writeError, type Fs } from '../util/fsx.js';
import { compressLayout } from './encode/compression.js';
import { EOS, frameBatch, type BatchLayout } from './ipc.js';
import type { Codec, ManifestShard } from './types.js';

export class ShardFile {
  private readonly hash: Hash = newSha256();
  private bytes = 0;
  rows = 0;

  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly fs: Fs,
    private readonly codec: Codec | undefined,
  ) {}

  /** Opens `<dir>/.<name>.tmp-<pid>` and writes the schema message; record batches are compressed with `codec` when given. */
  static async create(path: string, schemaMessage: Uint8Array, fs: Fs, codec?: Codec): Promise<ShardFile> {
    const tmp = tempName(path);
    let fh: FileHandle;
    try {
      fh = await openTemp(tmp, fs);
    } catch (err) {
      throw ioError(err, path, 'create shard');
    }
    const file = new ShardFile(path, tmp, fh, fs, codec);
    await file.write([schemaMessage]);
    return file;
  }

  /** Writes `parts` in order, hashing them; cleans up and throws IoError on failure. */
  async write(parts: readonly Uint8Array[]): Promise<void> {
    try {
      for (const part of parts) {
        if (part.byteLength === 0) continue;
        // The write runs on libuv's thread pool while this thread hashes the same bytes.
        const written = this.writeAll(part);
        this.hash.update(part);
        await written;
        this.bytes += part.byteLength;
      }
    } catch (err) {
      await this.abort();
      throw ioError(err, this.path, 'write shard');
    }
  }

  private async writeAll(part: Uint8Array): Promise<void> {
    let done = 0;
    while (done < part.byteLength) {
      const { bytesWritten } = await this.fh.write(part, done, part.byteLength - done);
      done += bytesWritten;
    }
  }

  /** Writes one record batch: header, then each body buffer (compressed with the shard's codec) padded to 8 bytes. */
  async writeBatch(batch: BatchLayout): Promise<void> {
    await this.write(frameBatch(this.codec === undefined ? batch : compressLayout(batch, this.codec)));
    this.rows += batch.numRows;
  }

  /** Ends the stream, fsyncs, renames into place. Returns the manifest entry. */
  async commit(file: string): Promise<ManifestShard> {
    await this.write([EOS]);
    try {
      await this.fh.sync();
      await this.fh.close();
      await renameTemp(this.tmp, this.path, this.fs);
    } catch (err) {
      await this.abort();
      throw writeError(err, this.path, 'commit shard');
    }
    await syncDir(dirname(this.path), this.fs);
    return { file, rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Closes and removes the temporary file (best effort; never throws). */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await this.fs.rm(this.tmp, { force: true }).catch(() => undefined);
  }
}
