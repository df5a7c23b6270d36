/**
 * The contact sheet of a dataset with views (meta.views): one row of K tiles per image, its views
 * 0…K−1 each with its own ticket, and a label strip per image (its class and id). The images are
 * the first n, a seeded spread across classes (sample.ts, over the images' view-0 rows), or the
 * ids asked for. Given the source, each view's pixels are rebuilt as scoring drew them
 * (patchifyViews: crop box, resize, flip), checked against the row's kept patches, shown dimmed
 * where the ticket dropped them, and each caption gives the view's crop.
 */
import { patchifyViews } from '../patchify/views.js';
import type { Dataset } from '../shards/reader.js';
import { ticketRows } from '../shards/rows.js';
import type { DatasetMeta, RowView, TicketRow } from '../shards/types.js';
import type { Source } from '../sources/types.js';
import { InputError, show } from '../util/errors.js';
import { describeRowView } from '../views/crop.js';
import { captionSvg, labelText, titleText, type Caption } from './caption.js';
import { sampleRows, type SampleOptions } from './sample.js';
import { composeSheet, sheetLayout } from './sheet.js';
import { checkKept, datasetPatchify, indexOfId } from './source.js';
import { renderTile, tileScale, type RgbImage } from './tile.js';

export interface ViewsSheetOptions {
  /** The images: these ids, else `sample` picks them. */
  ids?: readonly string[];
  sample: SampleOptions;
  name: string;
  tileSize: number;
  source?: Source;
}

/** The rows of the chosen images (K each, in view order), image by image. */
async function imageRows(ds: Dataset, options: ViewsSheetOptions): Promise<TicketRow[][]> {
  const K = ds.meta.views?.count ?? 1;
  const wanted = options.ids ?? (await sampleRows(viewZero(ticketRows(ds)), options.sample)).map((r) => r.id);
  const byId = new Map(wanted.map((id) => [id, [] as TicketRow[]]));
  for await (const row of ticketRows(ds)) byId.get(row.id)?.push(row);
  return wanted.map((id) => {
    const rows = byId.get(id) ?? [];
    if (rows.length !== K) throw new InputError(`preview: image ${show(id)} is not in the dataset`, { file: ds.store.location });
    return rows;
  });
}

async function* viewZero(rows: AsyncIterable<TicketRow>): AsyncGenerator<TicketRow> {
  for await (const row of rows) if ((row.view ?? 0) === 0) yield row;
}

/** Each view's whole grid and crop, rebuilt from the source and checked against the rows' kept patches. */
async function viewGrids(rows: readonly TicketRow[], meta: DatasetMeta, source: Source): Promise<{ grid: Uint8Array; view: RowView }[]> {
  const id = rows[0].id;
  const index = indexOfId(source, id);
  if (index < 0) throw new InputError(`image ${show(id)} of the dataset is not in the ${source.kind} source: pass the source the dataset was made from`);
  const views = await patchifyViews(await source.load(index), datasetPatchify(meta), id, meta.views);
  const patchBytes = meta.patchSize * meta.patchSize * meta.channels;
  return views.map((v, i) => {
    checkKept(rows[i], v.grid.patches, patchBytes, source.ref(index).location, meta.patchEncoding !== undefined);
    return { grid: v.grid.patches, view: v.view };
  });
}

function viewCaption(row: TicketRow, view: RowView | undefined): Caption {
  const v = row.view ?? 0;
  if (!view) return v === 0 ? 'view 0 (plain)' : `view ${v}`;
  return [`view ${v}${view.flip ? ' ⇋' : ''}`, describeRowView(view).replace(/^view \d+ \((.*)\)$/, '$1').replace(', flipped', '')];
}

/** The sheet's pixels and caption overlay (see the module comment). */
export async function renderViewsSheet(ds: Dataset, options: ViewsSheetOptions): Promise<{ image: RgbImage; svg: string; tiles: number }> {
  const meta = ds.meta;
  const K = meta.views?.count ?? 1;
  const images = await imageRows(ds, options);
  const g = { height: meta.imageSize[0], width: meta.imageSize[1], patchSize: meta.patchSize, gridW: meta.grid[1], channels: meta.channels };
  const scale = tileScale(g.height, g.width, options.tileSize);
  const tiles: RgbImage[] = [];
  const captions: Caption[] = [];
  for (const rows of images) {
    const grids = options.source ? await viewGrids(rows, meta, options.source) : null;
    rows.forEach((row, v) => {
      tiles.push(renderTile(row.patches, row.positions, g, scale, grids?.[v].grid));
      captions.push(viewCaption(row, grids?.[v].view));
    });
  }
  const layout = sheetLayout(tiles.length, g.width * scale, g.height * scale, K, 16);
  const title = titleText(meta, options.name);
  const v = meta.views;
  const head: [string, string] = [`${title[0]} · ${K} views`, v ? `views: plain + ${K - 1} crops, scale ${v.scale.join('–')}, ratio ${v.ratio.map((r) => r.toFixed(2)).join('–')}, flip ${v.flip}, seed ${v.seed} · ${title[1]}` : title[1]];
  const labels = images.map((rows) => `${labelText(rows[0].label, meta.source.classes)} · ${rows[0].id}`);
  return { image: composeSheet(tiles, layout), svg: captionSvg(layout, head, captions, labels), tiles: tiles.length };
}
