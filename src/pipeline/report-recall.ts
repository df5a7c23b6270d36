/**
 * The report's object recall per policy, measured on materialized datasets of the test split and
 * its object masks (IDX, mask i = image i of the file): for each listed dataset, the mean over its
 * rows of the share of the image's object patches (cover ≥ 1/2, src/masks/cover.ts) that the row's
 * kept positions hold; from the dataset of every patch (`full`), the six per-patch pixel rules at
 * each k and random's k / N (src/masks/model-free.ts). A row is matched to its mask by its sample
 * id, `<split>/<file index>` for the idx source (its only kind with masks; src/masks/match.ts);
 * rows that cannot be matched, datasets of other images or of another count than `full` are
 * refused (InputError).
 */
import { InputError, show } from '../util/errors.js';
import { checkMaskSize, maskIndexOf } from '../masks/match.js';
import { openDataset, type Dataset } from '../shards/reader.js';
import { ticketRows } from '../shards/rows.js';
import { DatasetKind, type MaskRecord } from '../shards/types.js';
import { unpatchify } from '../patchify/grid.js';
import { maskAt, maskRecord, readMasks, type MaskSet } from '../masks/read.js';
import { objectPositions, patchCover } from '../masks/cover.js';
import { recallOf } from '../masks/recall.js';
import { masksOf, modelFreeRecall, type RuleGap } from '../masks/model-free.js';
import { formatFraction } from './report.js';

export interface RecallDatasetInput {
  label: string;
  ref: string;
  /** The dataset's directory. */
  dir: string;
}

export interface RecallOptions {
  /** The IDX mask file. */
  masks: string;
  /** The dataset of every patch of the same images. */
  full: { ref: string; dir: string };
  datasets: readonly RecallDatasetInput[];
  /** Further k at which to measure the pixel rules and random (the report's cells'); those ≥ N are left out. */
  ks?: readonly number[];
}

export interface RecallRow {
  policy: string;
  kind: 'random' | 'dataset' | 'rule';
  /** At each of the table's ks; null where the policy has no dataset at that k. */
  recall: (number | null)[];
}

export interface RecallTable {
  masks: MaskRecord;
  /** Images measured (rows of `full`). */
  images: number;
  /** Patches per image. */
  n: number;
  /** Mean object patches per image. */
  objectPatches: number;
  /** Descending. */
  ks: number[];
  rows: RecallRow[];
  /** The pixel rule farthest from random, over every k. */
  worstRuleGap: RuleGap | null;
}

/** A row's index into the mask file: the number of its idx sample id. */
function sampleIndex(id: string, ds: Dataset, masks: MaskSet): number {
  return maskIndexOf(id, ds.meta.source.kind, masks, ds.store.location);
}

async function open(dir: string, ref: string): Promise<Dataset> {
  const ds = await openDataset(dir);
  if (ds.manifest.kind !== DatasetKind.Tickets) throw new InputError(`${ref} is a ${ds.manifest.kind} dataset, not tickets`, { file: dir });
  return ds;
}

/** One image per row of `full`, grayscale (the mean of the channels), with its mask index. */
async function readFull(ds: Dataset, ref: string, masks: MaskSet): Promise<{ images: Uint8Array; indices: number[] }> {
  const { meta } = ds;
  const [h, w] = meta.imageSize;
  const n = meta.grid[0] * meta.grid[1];
  if (meta.k !== n) throw new InputError(`recall.full: ${ref} keeps ${meta.k} of ${n} patches; it must hold every patch (policy full)`, { file: ds.store.location });
  checkMaskSize(masks, meta.imageSize);
  const layout = { gridH: meta.grid[0], gridW: meta.grid[1], patchSize: meta.patchSize, channels: meta.channels };
  const images = new Uint8Array(ds.manifest.rows * h * w);
  const indices: number[] = [];
  const seen = new Set<number>();
  for await (const row of ticketRows(ds, { view: true })) {
    const index = sampleIndex(row.id, ds, masks);
    if (seen.has(index)) throw new InputError(`${ref} holds image ${index} twice`, { file: ds.store.location });
    seen.add(index);
    const img = unpatchify(row.patches, layout, row.positions);
    const at = indices.length * h * w;
    if (img.channels === 1) images.set(img.data, at);
    else for (let i = 0; i < h * w; i++) images[at + i] = Math.round((img.data[3 * i] + img.data[3 * i + 1] + img.data[3 * i + 2]) / 3);
    indices.push(index);
  }
  return { images, indices };
}

/** Mean recall of one dataset's kept positions over its rows, which must be the images of `full`. */
async function datasetRecall(d: RecallDatasetInput, full: Dataset, objects: ReadonlyMap<number, ReadonlySet<number>>, masks: MaskSet): Promise<{ k: number; recall: number }> {
  const ds = await open(d.dir, d.ref);
  const [g, fg] = [ds.meta.grid, full.meta.grid];
  if (g[0] !== fg[0] || g[1] !== fg[1] || ds.meta.imageSize[0] !== full.meta.imageSize[0] || ds.meta.imageSize[1] !== full.meta.imageSize[1]) {
    throw new InputError(`${d.ref} has a ${g[0]}×${g[1]} grid of ${ds.meta.imageSize.join('×')} images, recall.full ${fg[0]}×${fg[1]} of ${full.meta.imageSize.join('×')}`, { file: d.dir });
  }
  if (ds.manifest.rows !== full.manifest.rows) throw new InputError(`${d.ref} holds ${ds.manifest.rows} rows, recall.full ${full.manifest.rows}: the recall of policies is compared on the same images`, { file: d.dir });
  const used = ds.meta.policyParams?.masks;
  if (ds.meta.policy === 'oracle' && used && used.sha256 !== masks.sha256) {
    throw new InputError(`${d.ref} was made with the masks ${used.file} (sha256 ${used.sha256.slice(0, 12)}…), not ${show(masks.file)}`, { file: d.dir });
  }
  const seen = new Set<number>();
  let sum = 0;
  for await (const row of ticketRows(ds, { view: true })) {
    const index = sampleIndex(row.id, ds, masks);
    const obj = objects.get(index);
    if (obj === undefined || seen.has(index)) throw new InputError(`${d.ref}: row ${show(row.id)} is ${obj === undefined ? 'not an image of recall.full' : 'there twice'}`, { file: d.dir });
    seen.add(index);
    sum += recallOf(row.positions, row.positions.length, obj);
  }
  return { k: ds.meta.k, recall: ds.manifest.rows === 0 ? Number.NaN : sum / ds.manifest.rows };
}

export async function measureReportRecall(o: RecallOptions): Promise<RecallTable> {
  const masks = await readMasks(o.masks);
  const full = await open(o.full.dir, o.full.ref);
  const { images, indices } = await readFull(full, o.full.ref, masks);
  if (indices.length === 0) throw new InputError(`recall.full: ${o.full.ref} holds no rows`, { file: o.full.dir });
  const patch = full.meta.patchSize;
  const objects = new Map(indices.map((i) => [i, new Set(objectPositions(patchCover(maskAt(masks, i), masks.height, masks.width, patch)))]));
  const measured = [];
  for (const d of o.datasets) measured.push({ ...d, ...(await datasetRecall(d, full, objects, masks)) });
  const n = full.meta.k;
  const ks = [...new Set([...measured.map((m) => m.k), ...(o.ks ?? [])].filter((k) => k > 0 && k < n))].sort((a, b) => b - a);
  const [h, w] = full.meta.imageSize;
  const free = modelFreeRecall({ images: { data: images, count: indices.length, height: h, width: w }, masks: masksOf(masks, indices), patch, ks });
  const labels = [...new Set(measured.map((m) => m.label))];
  const rows: RecallRow[] = [{ policy: 'random (k / N, exact)', kind: 'random', recall: free.random }];
  for (const label of labels) {
    const mine = measured.filter((m) => m.label === label);
    const twice = mine.find((m, i) => mine.findIndex((x) => x.k === m.k) !== i);
    if (twice) throw new InputError(`recall.datasets: ${show(label)} has two datasets of k = ${twice.k}`);
    rows.push({ policy: label, kind: 'dataset', recall: ks.map((k) => mine.find((m) => m.k === k)?.recall ?? null) });
  }
  for (const rule of free.rules) rows.push({ policy: rule, kind: 'rule', recall: free.recall.get(rule) as number[] });
  return { masks: maskRecord(masks), images: indices.length, n, objectPatches: free.objectPatches, ks, rows, worstRuleGap: free.worstRuleGap };
}

const rpct = (v: number | null): string => (v === null || !Number.isFinite(v) ? '–' : (100 * v).toFixed(1));

/** The recall table (policy × k) with the rule condition's figure. */
export function recallMarkdown(t: RecallTable, maxRuleGap?: number): string[] {
  const lines = [
    '## Object recall per policy',
    '',
    `Mean share of each test image's object patches (mask cover ≥ 1/2) that the kept positions hold, in %; ${t.images} images, ${t.objectPatches.toFixed(2)} object patches of ${t.n} per image (masks \`${t.masks.file}\`, sha256 ${t.masks.sha256.slice(0, 12)}…). Pixel rules rank each image's patches by the statistic, ties by position.`,
    '',
    `| policy | ${t.ks.map((k) => `k = ${k} (${formatFraction(k / t.n)})`).join(' | ')} |`,
    `|---|${t.ks.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.kind === 'rule' ? `pixel rule: ${r.policy}` : r.policy} | ${r.recall.map(rpct).join(' | ')} |`),
    '',
  ];
  const g = t.worstRuleGap;
  if (g) {
    const within = maxRuleGap === undefined ? '' : ` (${g.gap <= maxRuleGap ? 'within' : 'outside'} ±${(100 * maxRuleGap).toFixed(2)})`;
    lines.push(`Largest |pixel rule − random|: ${(100 * g.gap).toFixed(2)} points (${g.rule}, k = ${g.k})${within}.`, '');
  }
  return lines;
}
