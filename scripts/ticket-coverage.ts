// How much of the object a ticket keeps, on cluttered Fashion-MNIST, without training anything:
//   node --import tsx scripts/ticket-coverage.ts [--run <run-out-dir>] [--tickets <dataset-dir>]… [--data .cache/cluttered-fashion-mnist]
// For every test image the item's placement is recomputed from the generator's seed (the same
// draws `dlth make-cluttered` made; every recomposed image is checked byte for byte against the IDX
// file), and a patch counts as "object" when at least 8 of its 64 pixels are at least half opaque
// item (item value ≥ 32 with opaqueAt 64), on each dataset's own patch grid. Then, per test ticket dataset of the run
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
/** Object pixels a patch needs to count as object: 1/8 of its pixels (8 of 64 at patch 8). */
const MIN_FRACTION = 1 / 8;
const textures = await loadTextures(defaultTextureDir(), S);
const items = await readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', 3);
const images = await readIdx(join(dataDir, 't10k-images-idx3-ubyte.gz'), 3);
const side = items.dims[1];
const count = images.dims[0];

/** Object patches (raster indices on a grid of patch P) of test image i; throws if recomposing it does not give the stored image. */
function objectPatches(i: number, P: number): Set<number> {
  const G = S / P;
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
  return new Set([...counts.keys()].filter((j) => counts[j] >= MIN_FRACTION * P * P));
}

/** Object patches of every test image, per patch size (the ticket datasets' grid, from their metadata). */
const objectsByPatch = new Map<number, Set<number>[]>();
function objectsFor(P: number): Set<number>[] {
  if (S % P !== 0) throw new Error(`patch ${P} does not tile the ${S}×${S} images`);
  let o = objectsByPatch.get(P);
  if (!o) objectsByPatch.set(P, (o = Array.from({ length: count }, (_, i) => objectPatches(i, P))));
  return o;
}

interface Row { dataset: string; k: number; n: number; recall: number; precision: number; images: number }
const rows: Row[] = [];

async function measure(name: string, dir: string): Promise<void> {
  const ds = await openDataset(dir);
  if (ds.meta.imageSize[0] !== S || ds.meta.imageSize[1] !== S) throw new Error(`${dir}: ${ds.meta.imageSize.join('×')} images, the cluttered data is ${S}×${S}`);
  const objects = objectsFor(ds.meta.patchSize);
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
  rows.push({ dataset: name, k: ds.meta.k, n: (S / ds.meta.patchSize) ** 2, recall: recall / n, precision: precision / n, images: n });
}

if (run) for (const r of ['r90', 'r80', 'r70']) for (const kind of ['ticket', 'uticket', 'saliency']) await measure(`${kind}-${r}`, join(run, 'datasets', `${kind}-${r}`, 'test'));
for (const dir of extra) await measure(dir, dir);
// Uniform random subsets of k of N patches: expected recall k / N, expected precision (object patches) / N.
const meanObjects = new Map([...objectsByPatch].map(([P, o]) => [(S / P) ** 2, o.reduce((a, x) => a + x.size, 0) / count]));
for (const { k, n } of [...new Map(rows.map((r) => [`${r.k}/${r.n}`, r])).values()]) {
  rows.push({ dataset: `random (expected), k = ${k}`, k, n, recall: k / n, precision: (meanObjects.get(n) ?? 0) / n, images: count });
}

const pct = (v: number): string => (100 * v).toFixed(1);
for (const [n, m] of meanObjects) process.stdout.write(`object patches per test image: ${m.toFixed(1)} of ${n} on average (≥ 1/8 of a patch's pixels at least half-opaque item)\n`);
process.stdout.write(`${count} test images, all recomposed byte for byte\n\n`);
process.stdout.write('| test tickets | k | object recall (%) | precision (%) |\n|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.dataset} | ${r.k} | ${pct(r.recall)} | ${pct(r.precision)} |\n`);
if (run) await writeFile(join(run, 'coverage.json'), `${JSON.stringify({ meanObjectPatches: Object.fromEntries(meanObjects), minFraction: MIN_FRACTION, rows }, null, 2)}\n`);
