/**
 * `writePreview`: a PNG contact sheet of n rows of a ticket dataset (the first n, or a seeded
 * sample across classes: sample.ts): kept patches shown, dropped ones hatched grey, a caption per
 * tile (label and sample id) and a title line (policy, k, selector). Given the source the dataset
 * was made from, dropped patches show the image's own pixels, dimmed and hatched (source.ts); given
 * the object masks of its images (IDX, rows matched by sample id: src/masks/match.ts), each tile has
 * its object's outline (outline.ts). A dataset with views shows each image as a row of its K
 * views, each with its ticket (views.ts).
 */
import { basename } from 'node:path';
import sharp from 'sharp';
import { InputError, show } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { openDataset } from '../shards/reader.js';
import type { DatasetStore } from '../shards/store.js';
import { ticketRows } from '../shards/rows.js';
import { DatasetKind, type DatasetMeta, type TicketRow } from '../shards/types.js';
import { captionSvg, labelText, titleText } from './caption.js';
import { composeSheet, sheetLayout } from './sheet.js';
import { renderTile, tileScale, type RgbImage, type TileGeometry } from './tile.js';
import { PreviewSample, sampleRows } from './sample.js';
import { sourceGrids } from './source.js';
import { drawOutline } from './outline.js';
import type { Source } from '../sources/types.js';
import { readMasks } from '../masks/read.js';
import { checkMaskSize, rowMask } from '../masks/match.js';
import { renderViewsSheet } from './views.js';

export interface PreviewOptions {
  /** Output PNG file. */
  out: string;
  /** Tiles (fewer if the dataset is smaller). Default 16. */
  n?: number;
  /** 'first' (default: the first n rows) or 'spread' (a seeded sample across classes). */
  sample?: PreviewSample;
  /** Seed of the 'spread' sample. Default 0. */
  seed?: number;
  /** Columns of the grid; default near-square. */
  columns?: number;
  /** Approximate tile size in pixels (small images are upscaled by an integer factor). Default 112. */
  tileSize?: number;
  /** Title prefix; default the dataset directory's name. */
  name?: string;
  /** The images the dataset was made from: dropped patches are then shown dimmed, not blank. */
  source?: Source;
  /** IDX file of the object masks of the dataset's source images (mask i = image i): each tile gets its object's outline. */
  masks?: string;
  /**
   * Datasets with views: the images to show (ids), each as a row of its K views; default: n images
   * chosen by `sample`. Other datasets: refused.
   */
  ids?: readonly string[];
}

export interface PreviewResult {
  file: string;
  width: number;
  height: number;
  tiles: number;
}

export const PREVIEW_DEFAULTS = { n: 16, tileSize: 112 } as const;
const MAX_TILES = 1024;

export function tileGeometry(meta: DatasetMeta): TileGeometry {
  return { height: meta.imageSize[0], width: meta.imageSize[1], patchSize: meta.patchSize, gridW: meta.grid[1], channels: meta.channels };
}

/** One row's tile: its kept patches, dropped ones dimmed given its whole grid, its object outlined given its mask. */
export function rowTile(row: TicketRow, g: TileGeometry, scale: number, grid?: Uint8Array, mask?: Uint8Array): RgbImage {
  const tile = renderTile(row.patches, row.positions, g, scale, grid);
  return mask === undefined ? tile : drawOutline(tile, mask, g.height, g.width, scale);
}

/**
 * Renders rows into a sheet (pure: returns the pixels and the caption SVG); `grids`: each row's
 * whole patch grid, to show its dropped patches dimmed; `masks`: each row's object mask, outlined.
 */
export function renderSheet(
  rows: readonly TicketRow[], meta: DatasetMeta,
  options: Omit<PreviewOptions, 'out' | 'source' | 'masks'> & { name: string; grids?: readonly Uint8Array[]; masks?: readonly Uint8Array[] },
): { image: RgbImage; svg: string } {
  const g = tileGeometry(meta);
  const scale = tileScale(g.height, g.width, options.tileSize ?? PREVIEW_DEFAULTS.tileSize);
  const tiles = rows.map((r, i) => rowTile(r, g, scale, options.grids?.[i], options.masks?.[i]));
  const layout = sheetLayout(Math.max(1, rows.length), g.width * scale, g.height * scale, options.columns);
  const classes = meta.source.classes;
  const svg = captionSvg(layout, titleText(meta, options.name), rows.map((r) => [labelText(r.label, classes), r.id] as const));
  return { image: composeSheet(tiles, layout), svg };
}

/** Encodes pixels plus the caption overlay as PNG bytes. */
export async function encodeSheet(image: RgbImage, svg: string): Promise<Uint8Array> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** Reads n rows of the ticket dataset (a directory or a store) and writes the sheet to `options.out`. */
export async function writePreview(dataset: string | DatasetStore, options: PreviewOptions): Promise<PreviewResult> {
  const n = options.n ?? PREVIEW_DEFAULTS.n;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TILES) throw new InputError(`preview: n must be an integer in 1..${MAX_TILES}, got ${n}`);
  const ds = await openDataset(dataset);
  const datasetDir = ds.store.location;
  if (ds.manifest.kind !== DatasetKind.Tickets) {
    throw new InputError(`preview needs a ticket dataset (patches); this is a ${ds.manifest.kind} dataset`, { file: datasetDir });
  }
  const sample = options.sample ?? PreviewSample.First;
  const seed = options.seed ?? 0;
  if (sample !== PreviewSample.First && sample !== PreviewSample.Spread) throw new InputError(`preview: sample must be first or spread, got ${String(sample)}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`preview: seed must be a non-negative integer, got ${seed}`);
  const numClasses = ds.meta.numClasses ?? ds.meta.source.classes?.length ?? null;
  const name = options.name ?? basename(datasetDir);
  if (ds.meta.views) {
    if (options.masks !== undefined) throw new InputError('preview: object masks are outlined on the plain images only; this dataset has views (crops)', { file: datasetDir });
    const sheet = await renderViewsSheet(ds, { ...(options.ids ? { ids: options.ids } : {}), sample: { n, sample, seed, numClasses }, name,
      tileSize: options.tileSize ?? PREVIEW_DEFAULTS.tileSize, ...(options.source ? { source: options.source } : {}) });
    await writeFileAtomic(options.out, await encodeSheet(sheet.image, sheet.svg));
    return { file: options.out, width: sheet.image.width, height: sheet.image.height, tiles: sheet.tiles };
  }
  if (options.ids) throw new InputError(`preview: images by id (${show(options.ids[0])}) are for datasets with views, where each is shown in all its views`, { file: datasetDir });
  const rows: TicketRow[] = await sampleRows(ticketRows(ds), { n, sample, seed, numClasses });
  if (rows.length === 0) throw new InputError('preview: the dataset has no rows', { file: datasetDir });
  const grids = options.source ? await sourceGrids(rows, ds.meta, options.source) : undefined;
  const maskSet = options.masks !== undefined ? await readMasks(options.masks) : null;
  if (maskSet) checkMaskSize(maskSet, ds.meta.imageSize);
  const masks = maskSet ? rows.map((r) => rowMask(r.id, ds.meta.source.kind, maskSet, datasetDir)) : undefined;
  const { source: _source, masks: _masks, ...rest } = options;
  const { image, svg } = renderSheet(rows, ds.meta, { ...rest, name, grids, masks });
  await writeFileAtomic(options.out, await encodeSheet(image, svg));
  return { file: options.out, width: image.width, height: image.height, tiles: rows.length };
}
