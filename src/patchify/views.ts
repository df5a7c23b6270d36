/**
 * The K views of one image as patch grids (src/views/): view 0 is the plain patchify (the
 * dataset's resize and centre crop, byte for byte what a dataset without views holds); views
 * 1…K−1 crop the decoded full-size source (decodeSource) at their box (views/crop.ts), resize the
 * crop to the image size (as timm's RandomResizedCrop does: crop box in source pixels, then
 * resize, so every view is a full patch grid), mirror it when flipped, then split it into patches.
 */
import type { RowView, ViewsMeta } from '../shards/types.js';
import type { ImagePayload, RawImage } from '../sources/types.js';
import { plainView, viewCrop } from '../views/crop.js';
import { decodeSource, resizeRegion } from './decode.js';
import { splitPatchesInPlace } from './grid.js';
import { patchify } from './patchify.js';
import type { PatchGrid, PatchifyConfig } from './types.js';

export interface ViewGrid {
  view: RowView;
  grid: PatchGrid;
}

/** Mirrors interleaved pixels left to right, in place. */
export function mirrorRaw(image: RawImage): RawImage {
  const { width, height, channels: c, data } = image;
  for (let y = 0; y < height; y++) {
    const row = y * width * c;
    for (let a = 0, b = width - 1; a < b; a++, b--) {
      for (let ch = 0; ch < c; ch++) {
        const t = data[row + a * c + ch];
        data[row + a * c + ch] = data[row + b * c + ch];
        data[row + b * c + ch] = t;
      }
    }
  }
  return image;
}

/** One random view of a decoded source as a patch grid. */
async function randomView(source: RawImage, config: PatchifyConfig, view: RowView, file: string): Promise<ViewGrid> {
  const [left, top, width, height] = view.box;
  const image = await resizeRegion(source, { left, top, width, height }, config, file);
  return { view, grid: splitPatchesInPlace(view.flip ? mirrorRaw(image) : image, config.patchSize) };
}

/**
 * The views of image `id` (`views` undefined: the plain view only). `plain` makes view 0 (default:
 * patchify; a stage's injected decoder in tests).
 */
export async function patchifyViews(
  payload: ImagePayload, config: PatchifyConfig, id: string, views: ViewsMeta | undefined,
  plain: (payload: ImagePayload, config: PatchifyConfig) => Promise<PatchGrid> = patchify,
): Promise<ViewGrid[]> {
  const out: ViewGrid[] = [{ view: plainView(), grid: await plain(payload, config) }];
  if (!views) return out;
  const source = await decodeSource(payload, config);
  for (let v = 1; v < views.count; v++) out.push(await randomView(source, config, viewCrop(views, id, v, source.width, source.height), payload.file));
  return out;
}
