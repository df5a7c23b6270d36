/** `dlth inspect <dir|url> [--json]`: a summary of a dataset (manifest and label histogram). */
import type { Command } from 'commander';
import { labelAt } from '../shards/decode/columns.js';
import { openDataset, scoreBatches, ticketBatches, type Dataset } from '../shards/reader.js';
import { describePreprocessing } from '../shards/preprocessing.js';
import { describeViews } from '../views/spec.js';
import { DatasetKind } from '../shards/types.js';
import { openStore } from '../loader/store/index.js';
import { chainRates } from '../shards/schema.js';
import type { DatasetMeta } from '../shards/types.js';
import { evitSurvivors } from '../model/evit-counts.js';
import { formatBytes } from './verify.js';

export interface DatasetSummary {
  dir: string;
  kind: string;
  fingerprint: string;
  rows: number;
  shards: number;
  bytes: number;
  k: number;
  grid: [number, number];
  imageSize: [number, number];
  patchSize: number;
  channels: number;
  policy: string | null;
  keep: number;
  seed: number | null;
  selector: Dataset['meta']['selector'];
  source: Dataset['meta']['source'];
  /** EViT scores: the chains stored; EViT tickets: the chain used and whether k is its survivors or a rank prefix; else null. */
  evit: string | null;
  /** How the shards store their bytes (patch encoding, compression), in words. */
  storage: string;
  /** label (or "null") → rows. */
  labels: Record<string, number>;
  /** How the pixels were made, in words (resize, crop, interpolation, mean/std, where it was read). */
  preprocessing: string;
  /** The recorded preprocessing (null in datasets that predate it) and the normalisation. */
  preprocessingRecord: DatasetMeta['preprocessing'] | null;
  mean: number[];
  std: number[];
  /** Datasets with views: K and how they were drawn (absent otherwise). */
  views?: DatasetMeta['views'];
}

/** What a dataset holds of EViT chains, in words (null when its selector is not evit). */
export function describeEvit(meta: DatasetMeta): string | null {
  const blocks = meta.selector?.params.blocks;
  if (meta.selector?.mode !== 'evit' || !Array.isArray(blocks)) return null;
  const n = meta.grid[0] * meta.grid[1];
  const t = meta.evitTicket;
  if (meta.kind === DatasetKind.Tickets) {
    if (!t) return null;
    return t.taken === 'survivors'
      ? `the r = ${t.rate} chain's ticket (its ${t.survivors} survivors)`
      : `a prefix of the r = ${t.rate} chain's rank (k = ${meta.k}; the chain keeps ${t.survivors}): not an EViT ticket`;
  }
  const rates = chainRates(meta);
  const chains = rates.map((r) => `r = ${r} (${evitSurvivors(n, r, blocks.length)} survivors)`).join(', ');
  return `${rates.length > 1 ? 'chains' : 'chain'} ${chains}, pruning blocks ${blocks.join(',')}`;
}

export async function summarizeDataset(dir: string): Promise<DatasetSummary> {
  const ds = await openDataset(openStore(dir));
  const { meta, manifest } = ds;
  const labels: Record<string, number> = {};
  const batches = manifest.kind === DatasetKind.Tickets ? ticketBatches(ds) : scoreBatches(ds);
  for await (const b of batches) {
    for (let i = 0; i < b.numRows; i++) {
      const key = String(labelAt(b, i));
      labels[key] = (labels[key] ?? 0) + 1;
    }
  }
  return {
    dir: ds.store.location, kind: manifest.kind, fingerprint: manifest.fingerprint, rows: manifest.rows,
    shards: manifest.shards.length, bytes: manifest.shards.reduce((n, s) => n + s.bytes, 0),
    k: meta.k, grid: meta.grid, imageSize: meta.imageSize, patchSize: meta.patchSize, channels: meta.channels,
    policy: meta.policy, keep: meta.keep, seed: meta.seed, selector: meta.selector, source: meta.source, evit: describeEvit(meta), labels,
    preprocessing: describePreprocessing(meta), preprocessingRecord: meta.preprocessing ?? null, mean: meta.mean, std: meta.std,
    ...(meta.views ? { views: meta.views } : {}),
    storage: describeStorage(meta),
  };
}

/** How the shards store their bytes: patch encoding and body compression. */
function describeStorage(meta: DatasetMeta): string {
  const enc = meta.patchEncoding;
  const patches = meta.kind !== DatasetKind.Tickets ? 'no pixels' : enc ? `patches as one JPEG per row (quality ${enc.quality}, ${enc.subsampling}, ${enc.cell}-px cells, ${enc.columns} per line)` : 'raw patch bytes';
  return `${patches}, ${meta.compression ? `${meta.compression}-compressed record batches` : 'uncompressed record batches'}`;
}

export function formatSummary(s: DatasetSummary): string {
  const names = s.source.classes;
  const hist = Object.entries(s.labels)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([label, n]) => `    ${label.padStart(5)} ${names && label !== 'null' ? (names[Number(label)] ?? '').padEnd(16) : ''} ${n}`);
  return [
    `dataset   ${s.dir}`,
    `kind      ${s.kind}  (${s.fingerprint})`,
    `rows      ${s.rows} in ${s.shards} shards, ${formatBytes(s.bytes)}`,
    `storage   ${s.storage}`,
    `image     ${s.imageSize.join('×')} px, ${s.channels} channel(s), patch ${s.patchSize} px, grid ${s.grid.join('×')} = ${s.grid[0] * s.grid[1]}`,
    `pixels    ${s.preprocessing}`,
    `tickets   k = ${s.k} (keep ${s.keep}), policy ${s.policy ?? '-'}, seed ${s.seed ?? '-'}`,
    `selector  ${s.selector ? `${s.selector.model} ${s.selector.mode} ${s.selector.fingerprint}` : '-'}`,
    ...(s.evit ? [`evit      ${s.evit}`] : []),
    ...(s.views ? [`views     ${describeViews(s.views)}: ${s.views.count} rows per image (view 0 plain), label counts are rows`] : []),
    `source    ${s.source.kind}${s.source.split ? ` (${s.source.split})` : ''} ${s.source.fingerprint}`,
    'labels',
    ...hist,
  ].join('\n');
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('summarise a dataset: rows, shards, bytes, k, grid, policy, labels, selector, source')
    .argument('<dir>', 'dataset directory or http(s) URL')
    .option('--json', 'print JSON')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const s = await summarizeDataset(dir);
      process.stdout.write(flags.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatSummary(s)}\n`);
    });
}
