/** Encoding IDX files of unsigned bytes (the inverse of sources/idx_format.ts), gzip level 9. */
import { gzipSync } from 'node:zlib';

/** The IDX bytes of `data` with dimensions `dims` (magic 0, 0, 0x08, ndims; big-endian uint32 dims). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** gzip of the IDX bytes (deterministic: zlib's output depends only on the input and the level). */
export function encodeIdxGz(dims: readonly number[], data: Uint8Array): Uint8Array {
  return gzipSync(encodeIdx(dims, data), { level: 9 });
}
