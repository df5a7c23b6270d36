/**
 * Test images: real photos (test/fixtures/images, CC0) turned into every format, size, EXIF
 * orientation and colour mode the decoder must handle, plus hostile files, with sharp at test time.
 */
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

export const FIXTURES = new URL('../fixtures/images/', import.meta.url).pathname;

export function photo(name: 'coffee-192x128.jpg' | 'chelsea-150x100.jpg'): Buffer {
  return readFileSync(`${FIXTURES}${name}`);
}

/** Raw RGB pixels of a photo resized to w × h (the "ground truth" for format round trips). */
export async function photoRgb(w: number, h: number, name: Parameters<typeof photo>[0] = 'coffee-192x128.jpg'): Promise<Buffer> {
  return sharp(photo(name)).resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer();
}

export type Format = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff';

/** The photo at w × h encoded as `format` (lossless where the format allows). */
export async function encodePhoto(format: Format, w: number, h: number, name?: Parameters<typeof photo>[0]): Promise<Buffer> {
  const s = sharp(await photoRgb(w, h, name), { raw: { width: w, height: h, channels: 3 } });
  switch (format) {
    case 'jpeg': return s.jpeg({ quality: 90 }).toBuffer();
    case 'png': return s.png().toBuffer();
    case 'webp': return s.webp({ lossless: true }).toBuffer();
    case 'gif': return s.gif().toBuffer();
    case 'tiff': return s.tiff({ compression: 'lzw' }).toBuffer();
  }
}

/** Raw pixels with a solid colour per quadrant, (tl, tr, bl, br), for orientation checks. */
export function quadrants(w: number, h: number, colours: [number, number, number][]): Buffer {
  const out = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = colours[(y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1)];
      out.set(c, (y * w + x) * 3);
    }
  }
  return out;
}

/** Animated GIF, one solid colour per frame. */
export async function animatedGif(w: number, h: number, colours: [number, number, number][]): Promise<Buffer> {
  const frames = colours.map((c) => Buffer.alloc(w * h * 3).fill(Buffer.from(c)));
  return sharp(Buffer.concat(frames), { raw: { width: w, height: h * colours.length, channels: 3, pageHeight: h } })
    .gif({ delay: colours.map(() => 100) })
    .toBuffer();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid-looking PNG (correct CRCs) whose IHDR declares width × height: a decompression bomb. */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, RGB, deflate, filter 0, no interlace
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = deflateSync(Buffer.alloc(Math.min(1 + width * 3 , 4096)));
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** True when file permissions do not stop this process (root, or CAP_DAC_OVERRIDE). */
export function permissionsIgnored(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
