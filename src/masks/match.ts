/**
 * Rows of a ticket dataset matched to their object masks (mask i = image i of the source's file):
 * by the row's idx sample id `<split>/<file index>` (offsets and limits keep the file index), the
 * only source kind with masks. Shared by the report's object recall and the preview outlines.
 */
import { InputError, show } from '../util/errors.js';
import { objectPositions, patchCover } from './cover.js';
import { maskAt, type MaskSet } from './read.js';

const SAMPLE_ID = /^[A-Za-z0-9_-]+\/(\d+)$/;

/** A row's index into the mask file: the number of its idx sample id (InputError when it has none or is past the file). */
export function maskIndexOf(id: string, sourceKind: string, masks: MaskSet, location: string): number {
  const m = SAMPLE_ID.exec(id);
  if (sourceKind !== 'idx' || !m) {
    throw new InputError(`row ${show(id)} cannot be matched to the masks: rows are matched by their idx sample id <split>/<index> (this dataset's source is ${show(sourceKind)})`, { file: location });
  }
  const index = Number(m[1]);
  if (index >= masks.count) throw new InputError(`row ${show(id)} is image ${index} of its file; the mask file holds ${masks.count} masks`, { file: masks.file });
  return index;
}

/** Throws unless the masks are the size of the datasets' images ([height, width]). */
export function checkMaskSize(masks: MaskSet, imageSize: readonly [number, number]): void {
  const [h, w] = imageSize;
  if (masks.height !== h || masks.width !== w) throw new InputError(`masks are ${masks.height}×${masks.width}, the datasets' images ${h}×${w}`, { file: masks.file });
}

/** A row's mask (a view into the set). */
export function rowMask(id: string, sourceKind: string, masks: MaskSet, location: string): Uint8Array {
  return maskAt(masks, maskIndexOf(id, sourceKind, masks, location));
}

/** How many of a mask's object patches (cover ≥ 1/2) the kept positions hold. */
export function keptObjectPatches(mask: Uint8Array, masks: MaskSet, patch: number, positions: ArrayLike<number>): { kept: number; objects: number } {
  const objects = objectPositions(patchCover(mask, masks.height, masks.width, patch));
  const held = new Set(Array.from(positions));
  return { kept: objects.filter((p) => held.has(p)).length, objects: objects.length };
}
