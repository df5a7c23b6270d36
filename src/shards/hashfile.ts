/** Streaming sha256 of a file through a reused buffer (no per-file allocation). */
import { constants } from 'node:fs';
import { FileRefusedError, ioError } from '../util/errors.js';
import { newSha256 } from '../util/hash.js';
import { nodeFs, type Fs } from '../util/fsx.js';

const CHUNK = 4 * 1024 * 1024;
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
/** Reused chunk buffers, one per concurrent call. */
const pool: Uint8Array[] = [];

export interface FileDigest {
  bytes: number;
  sha256: string;
}

export async function hashFile(path: string, fs: Fs = nodeFs): Promise<FileDigest> {
  const buf = pool.pop() ?? new Uint8Array(CHUNK);
  const hash = newSha256();
  let bytes = 0;
  try {
    // O_NONBLOCK: a FIFO planted at a shard path never blocks the open; fstat then refuses it.
    const fh = await fs.open(path, READ_FLAGS);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new FileRefusedError('not a regular file (a FIFO, device, socket or directory where a shard belongs)', { file: path });
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        bytes += bytesRead;
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof FileRefusedError) throw err;
    throw ioError(err, path, 'read');
  } finally {
    pool.push(buf);
  }
  return { bytes, sha256: hash.digest('hex') };
}
