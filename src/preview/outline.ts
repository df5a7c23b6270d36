/**
 * The object's outline on a preview tile (pure): the contour of a mask (height × width, nonzero on
 * the object's pixels, in the frame of the tile's image) drawn in a bright colour over the tile,
 * inside the mask region: a tile pixel under the mask is on the contour when a pixel within the
 * outline width of it (left, right, up, down) is off the mask or off the image. So the outline is
 * closed even where the object touches the image's edge, and covers no pixel outside the object.
 */
import { InputError } from '../util/errors.js';
import type { RgbImage } from './tile.js';

/** Colour of the mask's outline: an orange no grey image or hatching has. */
export const OUTLINE: readonly [number, number, number] = [255, 128, 0];

/** Outline width in tile pixels: 1 at scale 1, else 2. */
export function outlineWidth(scale: number): number {
  return scale >= 2 ? 2 : 1;
}

/**
 * Draws the contour of `mask` (one byte per image pixel, image `height` × `width`) on a tile of
 * that image upscaled `scale` times, in place; returns the tile.
 */
export function drawOutline(tile: RgbImage, mask: Uint8Array, height: number, width: number, scale: number, colour: readonly number[] = OUTLINE): RgbImage {
  if (mask.length !== height * width) throw new InputError(`a mask of ${mask.length} pixels for a ${height}×${width} image`);
  if (tile.width !== width * scale || tile.height !== height * scale) throw new InputError(`a ${tile.width}×${tile.height} tile is not a ${height}×${width} image at scale ${scale}`);
  const W = tile.width;
  const H = tile.height;
  const t = outlineWidth(scale);
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < W && y < H && mask[Math.floor(y / scale) * width + Math.floor(x / scale)] !== 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (!on(x, y)) continue;
      let edge = false;
      for (let d = 1; d <= t && !edge; d++) edge = !on(x - d, y) || !on(x + d, y) || !on(x, y - d) || !on(x, y + d);
      if (edge) tile.data.set(colour, (y * W + x) * 3);
    }
  }
  return tile;
}
