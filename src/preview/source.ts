/**
 * The whole patch grid of previewed rows, re-read from the source their dataset was made from: a
 * ticket dataset stores only the kept patches, so showing the dropped ones needs the image. Each
 * row's image is found by id, decoded as the dataset records (geometry, resize, crop, kernel), and
 * must reproduce the row's kept patches byte for byte: another source, or another decoding, is
 * refused rather than shown as if it were what the ticket dropped.
 */
import { patchify } from '../patchify/patchify.js';
import { resolvePatchifyConfig } from '../patchify/config.js';
import type { PatchifyConfig } from '../patchify/types.js';
import type { DatasetMeta, TicketRow } from '../shards/types.js';
import { compareIds } from '../sources/common.js';
import type { Source } from '../sources/types.js';
import { InputError, show } from '../util/errors.js';

/** The patchify config that made the dataset's pixels, from its metadata. */
export function datasetPatchify(meta: DatasetMeta): PatchifyConfig {
  const pre = meta.preprocessing ?? meta.selector?.preprocessing;
  const { from: _from, interpolation, ...geometry } = pre ?? { from: 'default' as const, interpolation: undefined };
  return resolvePatchifyConfig({
    ...geometry,
    ...(interpolation !== undefined ? { interpolation: interpolation as PatchifyConfig['interpolation'] } : {}),
    imageSize: meta.imageSize, patchSize: meta.patchSize, channels: meta.channels === 1 ? 1 : 3, mean: meta.mean, std: meta.std,
    smallImages: 'upscale',
  });
}

/** The index of the sample with `id` (sources are sorted by id), or -1. */
export function indexOfId(source: Source, id: string): number {
  let lo = 0;
  let hi = source.size - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareIds(source.ref(mid).id, id);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Mean absolute pixel difference a JPEG-encoded dataset's kept patches may have from the source's
 * (meta.patchEncoding): the encoding's loss stays well below it (measured on five 224/16 photos:
 * 1.0–2.6 at quality 90, 5.1–12.1 at quality 10), another image's pixels far above (66–90).
 */
export const JPEG_MATCH_TOLERANCE = 32;

/**
 * Throws unless the grid holds the row's kept patches at their positions: byte for byte, or for a
 * JPEG-encoded dataset (`lossy`) within JPEG_MATCH_TOLERANCE on average over the row.
 */
export function checkKept(row: TicketRow, grid: Uint8Array, patchBytes: number, location: string, lossy = false): void {
  let diff = 0;
  row.positions.forEach((pos, i) => {
    const kept = row.patches.subarray(i * patchBytes, (i + 1) * patchBytes);
    const decoded = grid.subarray(pos * patchBytes, (pos + 1) * patchBytes);
    if (lossy) {
      for (let j = 0; j < patchBytes; j++) diff += Math.abs(kept[j] - decoded[j]);
    } else if (!kept.every((b, j) => b === decoded[j])) {
      throw new InputError(`row ${show(row.id)}: this image decodes to other pixels than the dataset's kept patch ${pos}: not the source the dataset was made from (or decoded otherwise)`, { file: location });
    }
  });
  const mean = diff / Math.max(1, row.positions.length * patchBytes);
  if (lossy && mean > JPEG_MATCH_TOLERANCE) {
    throw new InputError(`row ${show(row.id)}: this image's pixels differ from the dataset's JPEG-encoded kept patches by ${mean.toFixed(1)} on average (more than the encoding's loss, ${JPEG_MATCH_TOLERANCE}): not the source the dataset was made from (or decoded otherwise)`, { file: location });
  }
}

/** Each row's N patches in raster order, re-read from `source`. */
export async function sourceGrids(rows: readonly TicketRow[], meta: DatasetMeta, source: Source): Promise<Uint8Array[]> {
  const cfg = datasetPatchify(meta);
  const patchBytes = meta.patchSize * meta.patchSize * meta.channels;
  const grids: Uint8Array[] = [];
  for (const row of rows) {
    const index = indexOfId(source, row.id);
    if (index < 0) throw new InputError(`row ${show(row.id)} of the dataset is not in the ${source.kind} source: pass the source the dataset was made from`);
    const { patches } = await patchify(await source.load(index), cfg);
    checkKept(row, patches, patchBytes, source.ref(index).location, meta.patchEncoding !== undefined);
    grids.push(patches);
  }
  return grids;
}
