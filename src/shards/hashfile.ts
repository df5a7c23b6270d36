/** Streaming sha256 of a file through a reused buffer (no per-file allocation). */
import { ioError } from '../util/errors.js';
import { newSha256 } from '../util/hash.js';
import { nodeFs, type Fs } from '../util/fsx.js';

const CHUNK = 4 * 1024 * 1024;
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
    const fh = await fs.open(path, 'r');
    try {
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
    throw ioError(err, path, 'read');
  } finally {
    pool.push(buf);
  }
  return { bytes, sha256: hash.digest('hex') };
}
