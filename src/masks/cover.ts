/**
 * Masks on a patch grid. A patch's cover is the fraction of its pixels under the mask; a patch is
 * an object patch when its cover is at least OBJECT_AT (a half). A position's frequency is the
 * fraction of a mask set's masks in which it is an object patch (the positional prior).
 */
import { InputError } from '../util/errors.js';
import { maskAt, type MaskSet } from './read.js';

/** Cover from which a patch counts as object. */
export const OBJECT_AT = 0.5;

/** Cover of each patch of a height×width mask cut into patch×patch patches (raster order). */
export function patchCover(mask: Uint8Array, height: number, width: number, patch: number): Float32Array {
  if (height % patch !== 0 || width % patch !== 0) throw new InputError(`patches of ${patch} px do not tile ${height}×${width} masks`);
  const gw = width / patch;
  const counts = new Uint32Array((height / patch) * gw);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / patch) * gw;
    for (let x = 0; x < width; x++) if (mask[y * width + x] !== 0) counts[row + Math.floor(x / patch)]++;
  }
  return Float32Array.from(counts, (c) => c / (patch * patch));
}

/** Positions whose cover is at least `at`, ascending. */
export function objectPositions(cover: Float32Array, at = OBJECT_AT): number[] {
  const out: number[] = [];
  cover.forEach((c, j) => c >= at && out.push(j));
  return out;
}

/** Per position: the fraction of the set's masks in which it is an object patch. */
export function positionFrequency(set: MaskSet, patch: number, at = OBJECT_AT): Float64Array {
  let freq: Float64Array | null = null;
  for (let i = 0; i < set.count; i++) {
    const cover = patchCover(maskAt(set, i), set.height, set.width, patch);
    freq ??= new Float64Array(cover.length);
    for (let j = 0; j < cover.length; j++) if (cover[j] >= at) freq[j]++;
  }
  if (!freq) throw new InputError('the mask file holds no mask', { file: set.file });
  return freq.map((f) => f / set.count);
}
