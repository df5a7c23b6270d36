// How much of the object a ticket keeps, on cluttered Fashion-MNIST, without training anything:
//   node --import tsx scripts/ticket-coverage.ts [--run <run-out-dir>] [--tickets <dataset-dir>]… [--data .cache/cluttered-fashion-mnist]
// For every test image the item's placement is recomputed from the generator's seed (the same
// draws `dlth make-cluttered` made; every recomposed image is checked byte for byte against the IDX
// file), and a patch counts as "object" when at least 8 of its 64 pixels are at least half opaque
// item (item value ≥ 32 with opaqueAt 64). Then, per test ticket dataset of the run
// (ticket-r*, uticket-r*, saliency-r*), and for uniform random subsets of the same size:
// recall = kept object patches / object patches, precision = kept object patches / kept patches.
// `--tickets` adds any ticket dataset of the same test split. Prints a Markdown table; with
// `--run`, writes coverage.json into the run directory.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset } from '../src/shards/reader.js';
import { ticketRows } from '../src/shards/rows.js';
import { readIdx } from '../src/sources/idx_format.js';
import { compose, placement, type ComposeConfig } from '../src/synth/compose.js';
import { defaultTextureDir, loadTextures } from '../src/synth/textures.js';

const args = process.argv.slice(2);
const values = (flag: string): string[] => args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1]] : []));
const run = values('--run')[0];
const extra = values('--tickets');
if (!run && extra.length === 0) throw new Error('usage: scripts/ticket-coverage.ts [--run DIR] [--tickets DIR]… [--data DIR]');
const dataDir = values('--data')[0] ?? '.cache/cluttered-fashion-mnist';
const provenance = JSON.parse(await readFile(join(dataDir, 'cluttered.json'), 'utf8')) as { seed: number; compose: ComposeConfig; splits: { split: string; count: number }[] };
const c = provenance.compose;
const S = c.size;
const P = 8;
const G = S / P;
const MIN_PIXELS = 8;
const textures = await loadTextures(defaultTextureDir(), S);
const items = await readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', 3);
const images = await readIdx(join(dataDir, 't10k-images-idx3-ubyte.gz'), 3);
const side = items.dims[1];
const count = images.dims[0];

/** Object patches (raster indices) of test image i; throws if recomposing it does not give the stored image. */
function objectPatches(i: number): Set<number> {
  const p = placement(provenance.seed, 2, i, textures, S, side, c.align);
  const item = items.data.subarray(i * side * side, (i + 1) * side * side);
  const out = new Uint8Array(S * S);
  compose(item, side, textures[p.texture], p, c, out);
  if (!Buffer.from(out).equals(Buffer.from(images.data.subarray(i * S * S, (i + 1) * S * S)))) throw new Error(`test image ${i}: recomposition differs from the IDX file`);
  const counts = new Uint16Array(G * G);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (item[y * side + x] >= c.opaqueAt / 2) counts[Math.floor((p.itemY + y) / P) * G + Math.floor((p.itemX + x) / P)]++;
    }
  }
  return new Set([...counts.keys()].filter((j) => counts[j] >= MIN_PIXELS));
}

const objects = Array.from({ length: count }, (_, i) => objectPatches(i));
const meanObject = objects.reduce((a, o) => a + o.size, 0) / count;

interface Row { dataset: string; k: number; recall: number; precision: number; images: number }
const rows: Row[] = [];

async function measure(name: string, dir: string): Promise<void> {
  const ds = await openDataset(dir);
  let recall = 0;
  let precision = 0;
  let n = 0;
  for await (const r of ticketRows(ds, { view: true })) {
    const i = Number(r.id.split('/').pop());
    const obj = objects[i];
    let hit = 0;
    for (const q of r.positions) if (obj.has(q)) hit++;
    recall += obj.size > 0 ? hit / obj.size : 1;
    precision += hit / r.positions.length;
    n++;
  }
  rows.push({ dataset: name, k: ds.meta.k, recall: recall / n, precision: precision / n, images: n });
}

if (run) for (const r of ['r90', 'r80', 'r70']) for (const kind of ['ticket', 'uticket', 'saliency']) await measure(`${kind}-${r}`, join(run, 'datasets', `${kind}-${r}`, 'test'));
for (const dir of extra) await measure(dir, dir);
// Uniform random subsets of k patches: expected recall and precision are both k / N.
const N = G * G;
for (const k of [...new Set(rows.map((r) => r.k))]) rows.push({ dataset: `random (expected), k = ${k}`, k, recall: k / N, precision: meanObject / N, images: count });

const pct = (v: number): string => (100 * v).toFixed(1);
process.stdout.write(`object patches per test image: ${meanObject.toFixed(1)} of ${N} on average (≥ ${MIN_PIXELS} of ${P * P} pixels at least half-opaque item); ${count} images, all recomposed byte for byte\n\n`);
process.stdout.write('| test tickets | k | object recall (%) | precision (%) |\n|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.dataset} | ${r.k} | ${pct(r.recall)} | ${pct(r.precision)} |\n`);
if (run) await writeFile(join(run, 'coverage.json'), `${JSON.stringify({ meanObjectPatches: meanObject, minPixels: MIN_PIXELS, rows }, null, 2)}\n`);
