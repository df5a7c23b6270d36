// How much of the object each model-free rule keeps, on make-cluttered data, before any training:
//   node --import tsx scripts/soup-recall.ts --data DIR [--data DIR]… [--grid 7] [--k 37,26,18] [--json out.json]
// For each data directory (written by `dlth make-cluttered`, with its masks): on the test split,
// the mean object recall at each k (share of an image's object patches kept; a patch is object
// when its mask covers at least half its pixels) of random subsets (exactly k/N), of the positional
// prior learned from the training split's masks (the k positions most often object: policy prior
// with priorMasks), of the fixed centre (policy prior without masks), and of six per-patch pixel
// rules (std, mean, gradient energy; highest and lowest first; ties by position). The patch side is
// the image side / --grid. Prints one Markdown table per directory and the two conditions of
// issue 26: every rule within ±3 points of random at every k; the prior at most 60% at the smallest k.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { positionFrequency } from '../src/masks/cover.js';
import { readMasks } from '../src/masks/read.js';
import { modelFreeRecall } from '../src/masks/model-free.js';
import { readIdx } from '../src/sources/idx_format.js';
import { priorRank } from '../src/tickets/policies/prior.js';

const args = process.argv.slice(2);
const values = (flag: string): string[] => args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1]] : []));
const dirs = values('--data');
if (dirs.length === 0) throw new Error('usage: scripts/soup-recall.ts --data DIR [--data DIR]… [--grid 7] [--k 37,26,18] [--json FILE]');
const grid = Number(values('--grid')[0] ?? 7);
const ks = (values('--k')[0] ?? '37,26,18').split(',').map(Number);
const pct = (v: number): string => (100 * v).toFixed(1);
const report: Record<string, unknown>[] = [];

for (const dir of dirs) {
  const idx = await readIdx(join(dir, 't10k-images-idx3-ubyte.gz'), 3);
  const [count, height, width] = idx.dims;
  const patch = height / grid;
  if (!Number.isInteger(patch) || width !== height) throw new Error(`${dir}: ${height}×${width} images do not split into a ${grid}×${grid} grid`);
  const masks = await readMasks(join(dir, 't10k-masks-idx3-ubyte.gz'));
  const train = await readMasks(join(dir, 'train-masks-idx3-ubyte.gz'));
  const frequency = positionFrequency(train, patch);
  const prior = priorRank(grid, grid, frequency);
  const centre = priorRank(grid, grid);
  const priors = new Map<string, ArrayLike<number>>([['positional prior (training masks)', prior], ['centre', centre]]);
  const r = modelFreeRecall({ images: { data: idx.data, count, height, width }, masks, patch, ks }, priors);
  const random = r.random;
  const worst = r.worstRuleGap?.gap ?? 0;
  const priorAtSmallest = (r.recall.get('positional prior (training masks)') as number[])[ks.indexOf(Math.min(...ks))];
  process.stdout.write(`\n${dir}: ${count} test images of ${height}×${width}, patch ${patch} (${r.n} patches), ${r.objectPatches.toFixed(2)} object patches per image\n\n`);
  process.stdout.write(`| rule | ${ks.map((k) => `k = ${k}`).join(' | ')} |\n|---|${ks.map(() => '---').join('|')}|\n`);
  process.stdout.write(`| random (exact) | ${random.map(pct).join(' | ')} |\n`);
  for (const [name, v] of r.recall) process.stdout.write(`| ${name} | ${v.map(pct).join(' | ')} |\n`);
  process.stdout.write(`\nlargest |rule − random|: ${(100 * worst).toFixed(1)} points (${worst <= 0.03 ? 'within' : 'outside'} ±3); prior at k = ${Math.min(...ks)}: ${pct(priorAtSmallest)}% (${priorAtSmallest <= 0.6 ? '≤' : '>'} 60%)\n`);
  report.push({ dir, count, size: [height, width], patch, objectPatches: r.objectPatches, ks, random, recall: Object.fromEntries(r.recall), worstRuleGap: worst, priorAtSmallestK: priorAtSmallest });
}
const json = values('--json')[0];
if (json) await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
