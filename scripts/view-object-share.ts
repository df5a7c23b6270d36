// How much of each image's object its view crops hold (issue 27's diagnosis on patch soup):
//   node --import tsx scripts/view-object-share.ts <score dataset with views> <masks IDX file>
// For every random view (view ≥ 1) of a score dataset made from an idx source whose object masks
// `dlth make-cluttered` wrote: the share of the object's pixels inside the crop box (source pixels)
// and the share of the crop's area that is object; and, over the same images, the object's share
// of the whole image. Rows are matched to masks by their sample id, as the report's object recall
// does (src/masks/match.ts). Prints one JSON object.
import { rowMask } from '../src/masks/match.js';
import { readMasks } from '../src/masks/read.js';
import { openDataset, scoreBatches } from '../src/shards/reader.js';

const [dir, masksFile] = process.argv.slice(2);
if (!dir || !masksFile) throw new Error('usage: scripts/view-object-share.ts <score dataset with views> <masks IDX file>');
const ds = await openDataset(dir, { kind: 'scores' });
if (!ds.meta.views) throw new Error(`${dir}: the dataset has no views (K = 1): no crops to measure`);
const masks = await readMasks(masksFile);
const sum = (m: Uint8Array): number => m.reduce((n, v) => n + (v ? 1 : 0), 0);
const inside: number[] = [];
const ofCrop: number[] = [];
const plain = new Map<string, number>();
for await (const b of scoreBatches(ds)) {
  const v = b.views;
  if (!v?.box) throw new Error(`${dir}: a batch without view columns`);
  for (let i = 0; i < b.numRows; i++) {
    const mask = rowMask(b.ids[i], ds.meta.source.kind, masks, dir);
    const total = sum(mask);
    if (v.view[i] === 0) {
      plain.set(b.ids[i], total / mask.length);
      continue;
    }
    const [left, top, w, h] = v.box.subarray(4 * i, 4 * i + 4);
    if (left + w > masks.width || top + h > masks.height) throw new Error(`${dir}: row ${b.ids[i]}'s crop box ${left},${top} ${w}×${h} exceeds its ${masks.width}×${masks.height} mask (masks must be of the source images)`);
    let held = 0;
    for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) if (mask[y * masks.width + x]) held++;
    inside.push(held / Math.max(1, total));
    ofCrop.push(held / (w * h));
  }
}
const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
const pct = (x: number): number => Math.round(1000 * x) / 10;
console.log(JSON.stringify({
  dataset: dir,
  random_views: inside.length,
  object_share_inside_crop_mean: pct(mean(inside)),
  crops_with_at_least_half_the_object: pct(mean(inside.map((x) => (x >= 0.5 ? 1 : 0)))),
  crops_with_under_a_quarter_of_the_object: pct(mean(inside.map((x) => (x < 0.25 ? 1 : 0)))),
  object_share_of_crop_area_mean: pct(mean(ofCrop)),
  plain_image_object_share_of_area: pct(mean([...plain.values()])),
}));
