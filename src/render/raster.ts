import sharp from 'sharp';
import { writeFileAtomic } from '../util/fsx.js';

/** Rasterises an SVG document to a PNG file (written atomically). */
export async function writeSvgAsPng(svg: string, file: string): Promise<void> {
  const png = await sharp(Buffer.from(svg)).png({ compressionLevel: 9 }).toBuffer();
  await writeFileAtomic(file, png);
}

/** Encodes interleaved RGB pixels as a PNG file (written atomically). */
export async function writeRgbPng(data: Uint8Array, width: number, height: number, file: string): Promise<void> {
  const png = await sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
  await writeFileAtomic(file, png);
}
