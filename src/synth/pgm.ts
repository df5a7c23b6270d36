/**
 * Binary PGM (`P5`, 8-bit) reading, gzip detected by its magic bytes: the format of the texture
 * photos in data/textures/. Every check names the file.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { errnoCode, InputError } from '../util/errors.js';

export interface GrayImage {
  width: number;
  height: number;
  /** width · height bytes, row-major. */
  data: Uint8Array;
}

/** Largest texture accepted: 4096 × 4096 pixels. */
export const MAX_TEXTURE_PIXELS = 4096 * 4096;

const HEADER = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/;

/** Parses a binary 8-bit PGM (no comments in the header). */
export function parsePgm(buf: Uint8Array, file: string): GrayImage {
  const head = Buffer.from(buf.subarray(0, 64)).toString('latin1');
  const m = HEADER.exec(head);
  if (!m) throw new InputError('not a binary PGM (P5) image', { file });
  const [width, height, max] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (max !== 255) throw new InputError(`PGM maxval ${max} unsupported (only 255, 8-bit)`, { file });
  if (width < 1 || height < 1 || width * height > MAX_TEXTURE_PIXELS) throw new InputError(`PGM size ${width}×${height} is outside 1..${MAX_TEXTURE_PIXELS} pixels`, { file });
  const start = m[0].length;
  if (buf.length !== start + width * height) {
    throw new InputError(`PGM size mismatch: header declares ${width}×${height}, file has ${buf.length - start} bytes of pixels`, { file });
  }
  return { width, height, data: buf.subarray(start) };
}

export async function readPgm(file: string): Promise<GrayImage> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    const code = errnoCode(err);
    throw new InputError(`cannot read texture${code ? ` (${code})` : ''}`, { file, cause: err });
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw, { maxOutputLength: MAX_TEXTURE_PIXELS + 64 });
    } catch (err) {
      throw new InputError(`corrupt gzip: ${err instanceof Error ? err.message : String(err)}`, { file, cause: err });
    }
  }
  return parsePgm(raw, file);
}
