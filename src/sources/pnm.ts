/**
 * Binary Netpbm images (P5 greyscale `.pgm`, P6 colour `.ppm`), which webdataset shards may hold
 * and sharp does not read: decoded here to raw pixels. 8-bit samples are taken as they are; a
 * maxval other than 255 (up to 65535, 16-bit big-endian) is rescaled to 0..255. The header is
 * checked against the bytes present; anything else is an ImageError naming the file.
 */
import { ImageError } from '../util/errors.js';
import type { RawImage } from './types.js';

/** Largest side accepted (the decoder's other limits apply after this). */
const MAX_SIDE = 1 << 16;

export function isPnm(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36);
}

export function decodePnm(bytes: Uint8Array, file: string): RawImage {
  const bad = (why: string): ImageError => new ImageError(`not a readable PGM/PPM image: ${why}`, { file });
  if (!isPnm(bytes)) throw bad('no P5/P6 signature');
  const channels = bytes[1] === 0x35 ? 1 : 3;
  let at = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    // white space and # comments, then one decimal number
    while (at < bytes.length && (bytes[at] === 0x23 || bytes[at] <= 0x20)) {
      if (bytes[at] === 0x23) while (at < bytes.length && bytes[at] !== 0x0a) at++;
      else at++;
    }
    let v = 0;
    const start = at;
    while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39 && at - start < 6) v = v * 10 + bytes[at++] - 0x30;
    if (at === start) throw bad('truncated or malformed header');
    fields.push(v);
  }
  if (at >= bytes.length || bytes[at] > 0x20) throw bad('malformed header');
  at++; // the single white space before the pixels
  const [width, height, maxval] = fields;
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) throw bad(`size ${width}×${height}`);
  if (maxval < 1 || maxval > 65535) throw bad(`maxval ${maxval}`);
  const wide = maxval > 255;
  const n = width * height * channels;
  if (bytes.length - at < n * (wide ? 2 : 1)) throw bad(`${width}×${height} needs ${n * (wide ? 2 : 1)} bytes of pixels, ${bytes.length - at} present`);
  const data = new Uint8Array(n);
  if (!wide && maxval === 255) data.set(bytes.subarray(at, at + n));
  else {
    for (let i = 0; i < n; i++) {
      const v = wide ? (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1] : bytes[at + i];
      data[i] = Math.round((Math.min(v, maxval) * 255) / maxval);
    }
  }
  return { width, height, channels, data };
}
