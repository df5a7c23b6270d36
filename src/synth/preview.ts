/** A PNG contact sheet of the first images of a generated split (grayscale, scaled by an integer). */
import { writeRgbPng } from '../render/raster.js';
import { InputError } from '../util/errors.js';

export interface SheetOptions {
  columns: number;
  /** Integer upscale factor (nearest neighbour). */
  scale: number;
  /** Gap between tiles, in output pixels. */
  gap: number;
}

/** Tiles `count` S×S grayscale images (consecutive in `pixels`) into one RGB image. */
export function grayContactSheet(pixels: Uint8Array, size: number, count: number, o: SheetOptions): { data: Uint8Array; width: number; height: number } {
  if (count < 1 || pixels.length < count * size * size) throw new InputError(`cannot tile ${count} images of ${size}×${size} from ${pixels.length} bytes`);
  const rows = Math.ceil(count / o.columns);
  const tile = size * o.scale;
  const width = o.columns * tile + (o.columns + 1) * o.gap;
  const height = rows * tile + (rows + 1) * o.gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let i = 0; i < count; i++) {
    const x0 = o.gap + (i % o.columns) * (tile + o.gap);
    const y0 = o.gap + Math.floor(i / o.columns) * (tile + o.gap);
    for (let y = 0; y < tile; y++) {
      for (let x = 0; x < tile; x++) {
        const v = pixels[i * size * size + Math.floor(y / o.scale) * size + Math.floor(x / o.scale)];
        data.fill(v, ((y0 + y) * width + x0 + x) * 3, ((y0 + y) * width + x0 + x) * 3 + 3);
      }
    }
  }
  return { data, width, height };
}

export async function writeGraySheet(pixels: Uint8Array, size: number, count: number, file: string, o: SheetOptions = { columns: 8, scale: 2, gap: 4 }): Promise<void> {
  const sheet = grayContactSheet(pixels, size, count, o);
  await writeRgbPng(sheet.data, sheet.width, sheet.height, file);
}
