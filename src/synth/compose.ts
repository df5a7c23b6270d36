/**
 * The composition rule of a cluttered image (pure, deterministic): a Fashion-MNIST item pasted at
 * a random position onto a random crop of a texture photo.
 *
 * For sample (seed, split, index), a generator keyed by hashInts(seed, split salt, index) draws,
 * in this order: the texture t (uniform over the textures), the crop's top-left corner (uniform
 * over all crops of size S inside the photo), the item's top-left corner (uniform over the multiples of
 * `align` in [0, S − 28], per axis; align 1: every position; align = the patch size: the item sits on
 * the patch grid, so its patches look the same wherever it is).
 * Each output pixel is then
 *   bg    = 128 + contrast · (texture − mean(texture photo))
 *   alpha = min(1, v / opaqueAt)          (v: the item's pixel, 0 = Fashion-MNIST's black background)
 *   out   = clamp(round(alpha · v + (1 − alpha) · bg), 0, 255)
 * so the item keeps its own intensities wherever it is brighter than `opaqueAt`, its dark outline
 * blends into the texture, and the texture keeps most of its contrast (saliency is not free).
 * The object mask is 1 where the item is at least half opaque (alpha ≥ 1/2, i.e. v ≥ opaqueAt / 2).
 */
import { hashInts, Rng } from '../loader/rng.js';
import type { GrayImage } from './pgm.js';

export interface Texture extends GrayImage {
  name: string;
  /** Mean pixel value of the whole photo. */
  mean: number;
}

export interface ComposeConfig {
  /** Output side S in pixels (≥ the item side). */
  size: number;
  /** Scale of the texture's deviations from its mean (1: the photo's own contrast). */
  contrast: number;
  /** Item intensity from which the item is fully opaque. */
  opaqueAt: number;
  /** Item offsets are multiples of this (1: any position). */
  align: number;
}

export const COMPOSE_DEFAULTS: ComposeConfig = { size: 56, contrast: 0.5, opaqueAt: 64, align: 1 };

export interface Placement {
  texture: number;
  cropX: number;
  cropY: number;
  itemX: number;
  itemY: number;
}

export function textureOf(image: GrayImage, name: string): Texture {
  let sum = 0;
  for (let i = 0; i < image.data.length; i++) sum += image.data[i];
  return { ...image, name, mean: sum / image.data.length };
}

/** The random draws of one sample (split salt 1 = train, 2 = test). */
export function placement(seed: number, splitSalt: number, index: number, textures: readonly Texture[], size: number, item: number, align = 1): Placement {
  const rng = new Rng(hashInts(seed, splitSalt, index));
  const texture = rng.below(textures.length);
  const t = textures[texture];
  return {
    texture,
    cropX: rng.below(t.width - size + 1),
    cropY: rng.below(t.height - size + 1),
    itemX: align * rng.below(Math.floor((size - item) / align) + 1),
    itemY: align * rng.below(Math.floor((size - item) / align) + 1),
  };
}

/** Writes the S×S composite of `item` (item×item pixels) into `out`, and its object mask into `mask` when given (S·S bytes each). */
export function compose(item: Uint8Array, itemSide: number, texture: Texture, p: Placement, c: ComposeConfig, out: Uint8Array, mask?: Uint8Array): void {
  const S = c.size;
  for (let y = 0; y < S; y++) {
    const row = (p.cropY + y) * texture.width + p.cropX;
    const iy = y - p.itemY;
    for (let x = 0; x < S; x++) {
      const bg = 128 + c.contrast * (texture.data[row + x] - texture.mean);
      const ix = x - p.itemX;
      const v = iy >= 0 && iy < itemSide && ix >= 0 && ix < itemSide ? item[iy * itemSide + ix] : 0;
      const alpha = Math.min(1, v / c.opaqueAt);
      out[y * S + x] = Math.max(0, Math.min(255, Math.round(alpha * v + (1 - alpha) * bg)));
      if (mask) mask[y * S + x] = alpha >= 0.5 ? 1 : 0;
    }
  }
}
