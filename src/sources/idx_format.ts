/**
 * Reading IDX files (the MNIST / Fashion-MNIST format): a 4-byte magic (0, 0, type, ndims), ndims
 * big-endian uint32 dimensions, then the data. Only unsigned bytes (type 0x08) are supported. gzip
 * is detected by its magic bytes, not the file name. Every check names the file.
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { InputError } from '../util/errors.js';
import { readInputFile } from './common.js';

const gunzipAsync = promisify(gunzip);

/** Largest decompressed IDX file accepted (guards against a gzip bomb): 4 GiB minus one. */
export const MAX_IDX_BYTES = 2 ** 32 - 1;

/** Largest IDX file read from disk (gzip or raw): what one Buffer holds. */
export const MAX_IDX_FILE_BYTES = 2 ** 31 - 1;

export interface IdxArray {
  file: string;
  dims: number[];
  /** The data after the header, a view into the file's buffer (no copy). */
  data: Uint8Array;
}

async function readMaybeGzip(file: string): Promise<Uint8Array> {
  // A regular file only (a FIFO or device is refused unread), at most what a Buffer holds.
  const raw = await readInputFile(file, MAX_IDX_FILE_BYTES, 'IDX file');
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: Math.min(MAX_IDX_BYTES, 2 ** 31 - 1) });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InputError(`corrupt or truncated gzip: ${reason}`, { file, cause: err });
  }
}

/** Parses an IDX buffer of unsigned bytes with `ndims` dimensions. */
export function parseIdx(buf: Uint8Array, file: string, ndims: number): IdxArray {
  if (buf.length < 4) throw new InputError(`not an IDX file: ${buf.length} bytes, shorter than the header`, { file });
  const [z0, z1, type, n] = buf;
  if (z0 !== 0 || z1 !== 0) throw new InputError('not an IDX file: bad magic number (first two bytes must be 0)', { file });
  if (type !== 0x08) throw new InputError(`IDX data type 0x${type.toString(16)} unsupported (only 0x08, unsigned byte)`, { file });
  if (n !== ndims) throw new InputError(`IDX file has ${n} dimensions, expected ${ndims}`, { file });
  const header = 4 + 4 * n;
  if (buf.length < header) throw new InputError(`IDX header truncated: ${buf.length} bytes, needs ${header}`, { file });
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims = Array.from({ length: n }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== header + count) {
    throw new InputError(
      `IDX size mismatch: header declares ${dims.join('×')} = ${count} bytes of data, file has ${buf.length - header}`,
      { file },
    );
  }
  return { file, dims, data: buf.subarray(header) };
}

export async function readIdx(file: string, ndims: number): Promise<IdxArray> {
  return parseIdx(await readMaybeGzip(file), file, ndims);
}
