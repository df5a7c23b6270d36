/**
 * `writeComparisonSheet`: one PNG with the same n images in every row and one row per ticket
 * dataset of those images (the report's recall datasets: one per policy), above them the images
 * with every patch (the `full` dataset, which also gives each image's whole grid, so what a policy
 * dropped shows dimmed and hatched). Given the images' object masks (IDX, rows matched by sample
 * id: src/masks/match.ts), each tile has its object's outline, each caption the object patches
 * (cover ≥ 1/2) the row kept of the image's, and each row label their sum over the row. The images
 * are a seeded sample across classes of `full` (sample.ts, 'spread').
 */
import { InputError, show } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { openDataset, type Dataset } from '../shards/reader.js';
import { ticketRows } from '../shards/rows.js';
import { DatasetKind, type TicketRow } from '../shards/types.js';
import { readMasks, type MaskSet } from '../masks/read.js';
import { checkMaskSize, keptObjectPatches, rowMask } from '../masks/match.js';
import { captionSvg, labelText, type Caption } from './caption.js';
import { composeSheet, sheetLayout, type SheetLayout } from './sheet.js';
import { tileScale } from './tile.js';
import { PreviewSample, sampleRows } from './sample.js';
import { encodeSheet, PREVIEW_DEFAULTS, rowTile, tileGeometry, type PreviewResult } from './write.js';

export interface ComparisonDataset {
  /** The row's label (e.g. the report's policy label). */
  label: string;
  /** A short name shown after the label (e.g. the dataset reference). */
  name: string;
  /** The dataset's directory. */
  dir: string;
}

export interface ComparisonOptions {
  /** Output PNG file. */
  out: string;
  /** First line of the title. */
  title: string;
  /** The dataset of every patch of the images (policy full): the top row, the sample, each image's whole grid. */
  full: ComparisonDataset;
  /** One row each, of the same images as `full`. */
  datasets: readonly ComparisonDataset[];
  /** IDX file of the images' object masks (mask i = image i of the file): outlines and object counts. */
  masks?: string;
  /** Images per row. Default 8. */
  n?: number;
  /** Seed of the sample across classes. Default 0. */
  seed?: number;
  /** Approximate tile size in pixels. Default 112. */
  tileSize?: number;
}

export const COMPARISON_DEFAULTS = { n: 8, seed: 0 } as const;
/** Height of the label strip above each row. */
const ROW_HEADER = 18;

/** The sheet's layout: `rows` rows (full's included) of `n` tiles. */
export function comparisonLayout(rows: number, n: number, tileWidth: number, tileHeight: number): SheetLayout {
  return sheetLayout(rows * n, tileWidth, tileHeight, n, ROW_HEADER);
}

async function openTickets(d: ComparisonDataset): Promise<Dataset> {
  const ds = await openDataset(d.dir);
  if (ds.manifest.kind !== DatasetKind.Tickets) throw new InputError(`${d.name} is a ${ds.manifest.kind} dataset, not tickets`, { file: d.dir });
  return ds;
}

/** The rows of `ds` with the given ids, in their order (copies); throws when one is missing. */
async function rowsById(ds: Dataset, d: ComparisonDataset, ids: readonly string[]): Promise<TicketRow[]> {
  const wanted = new Set(ids);
  const found = new Map<string, TicketRow>();
  for await (const r of ticketRows(ds, { view: true })) {
    if (wanted.has(r.id)) found.set(r.id, { ...r, patches: r.patches.slice(), positions: r.positions.slice(), scores: r.scores.slice() });
  }
  return ids.map((id) => {
    const r = found.get(id);
    if (!r) throw new InputError(`${d.name} has no row ${show(id)} (an image of the first row): every row of the sheet shows the same images`, { file: d.dir });
    return r;
  });
}

function checkGeometry(ds: Dataset, d: ComparisonDataset, full: Dataset): void {
  const [a, b] = [ds.meta, full.meta];
  const same = a.imageSize.join() === b.imageSize.join() && a.patchSize === b.patchSize && a.channels === b.channels;
  if (!same) throw new InputError(`${d.name} has ${a.imageSize.join('×')} images in patches of ${a.patchSize} (${a.channels} channels), the full dataset ${b.imageSize.join('×')} in ${b.patchSize} (${b.channels})`, { file: d.dir });
}

const percent = (a: number, b: number): string => (b === 0 ? '–' : `${((100 * a) / b).toFixed(0)}%`);

/** Writes the sheet; `tiles` counts every tile (rows × n). */
export async function writeComparisonSheet(o: ComparisonOptions): Promise<PreviewResult & { ids: string[] }> {
  const n = o.n ?? COMPARISON_DEFAULTS.n;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InputError(`comparison sheet: n must be an integer in 1..64, got ${n}`);
  const full = await openTickets(o.full);
  const { meta } = full;
  const cells = meta.grid[0] * meta.grid[1];
  if (meta.k !== cells) throw new InputError(`${o.full.name} keeps ${meta.k} of ${cells} patches; the comparison's first row must hold every patch (policy full)`, { file: o.full.dir });
  const numClasses = meta.numClasses ?? meta.source.classes?.length ?? null;
  const sample = await sampleRows(ticketRows(full), { n, sample: PreviewSample.Spread, seed: o.seed ?? COMPARISON_DEFAULTS.seed, numClasses });
  if (sample.length === 0) throw new InputError(`${o.full.name} holds no rows`, { file: o.full.dir });
  const ids = sample.map((r) => r.id);
  const grids = sample.map((r) => r.patches);
  const set: MaskSet | null = o.masks !== undefined ? await readMasks(o.masks) : null;
  if (set) checkMaskSize(set, meta.imageSize);
  const masks = set ? ids.map((id) => rowMask(id, meta.source.kind, set, o.full.dir)) : undefined;

  const table: { d: ComparisonDataset; rows: TicketRow[]; k: number; policy: string }[] = [{ d: o.full, rows: sample, k: cells, policy: 'full' }];
  for (const d of o.datasets) {
    const ds = await openTickets(d);
    checkGeometry(ds, d, full);
    table.push({ d, rows: await rowsById(ds, d, ids), k: ds.meta.k, policy: ds.meta.policy ?? ds.meta.kind });
  }

  const g = tileGeometry(meta);
  const scale = tileScale(g.height, g.width, o.tileSize ?? PREVIEW_DEFAULTS.tileSize);
  const layout = comparisonLayout(table.length, sample.length, g.width * scale, g.height * scale);
  const tiles = table.flatMap(({ rows }) => rows.map((r, i) => rowTile(r, g, scale, grids[i], masks?.[i])));
  const captions: Caption[] = [];
  const rowLabels: string[] = [];
  for (const { d, rows, k, policy } of table) {
    let kept = 0;
    let objects = 0;
    rows.forEach((r, i) => {
      const c = set && masks ? keptObjectPatches(masks[i], set, meta.patchSize, r.positions) : null;
      kept += c?.kept ?? 0;
      objects += c?.objects ?? 0;
      captions.push([labelText(r.label, meta.source.classes), c ? `${r.id} · ${c.kept}/${c.objects}` : r.id]);
    });
    const counts = set ? ` · object patches kept: ${kept}/${objects} (${percent(kept, objects)})` : '';
    rowLabels.push(`${d.label} · ${d.name} · ${policy}, k = ${k}/${cells}${counts}`);
  }
  const split = meta.source.split !== undefined ? `${meta.source.split} ` : '';
  const title: [string, string] = [
    `${o.title} · the same ${sample.length} ${split}images in every row`,
    `dropped patches dimmed and hatched${set ? ' · orange: the object mask\'s outline · under each image: class; sample id · object patches kept/all (cover ≥ 1/2)' : ' · under each image: class; sample id'}`,
  ];
  const svg = captionSvg(layout, title, captions, rowLabels);
  const image = composeSheet(tiles, layout);
  await writeFileAtomic(o.out, await encodeSheet(image, svg));
  return { file: o.out, width: image.width, height: image.height, tiles: tiles.length, ids };
}

