/** Which rows a sheet shows: 'first' n, or a seeded sample spread across classes (properties). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleRows, type SampleOptions } from '../../src/preview/sample.js';
import type { TicketRow } from '../../src/shards/types.js';

/** `perClass` rows of each of `classes` classes, sorted by class (as an imagefolder sorts them). */
async function* sortedByClass(classes: number, perClass: number, label = true): AsyncGenerator<TicketRow> {
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      yield { id: `c${c}/${i}`, label: label ? c : null, patches: new Uint8Array(1), positions: new Uint16Array(1), scores: new Float32Array(1) };
    }
  }
}

const ids = async (opts: Partial<SampleOptions> & { classes: number; perClass: number; label?: boolean }) =>
  (await sampleRows(sortedByClass(opts.classes, opts.perClass, opts.label), { n: 16, sample: 'spread', seed: 0, numClasses: opts.label === false ? null : opts.classes, ...opts })).map((r) => r.id);

test('spread: every class appears, evenly, in class order round-robin; first: the first n rows', async () => {
  const spread = await ids({ classes: 10, perClass: 100 });
  assert.equal(spread.length, 16);
  const labels = spread.map((id) => Number(id.slice(1, id.indexOf('/'))));
  assert.deepEqual(labels.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(labels.slice(10), [0, 1, 2, 3, 4, 5]);
  assert.equal(new Set(spread).size, 16);
  const first = await ids({ classes: 10, perClass: 100, sample: 'first' });
  assert.deepEqual(first, Array.from({ length: 16 }, (_, i) => `c0/${i}`));
});

test('spread: seeded (same seed, same rows; another seed, other rows); a sample, not the first rows of each class', async () => {
  const a = await ids({ classes: 4, perClass: 500, seed: 1 });
  assert.deepEqual(await ids({ classes: 4, perClass: 500, seed: 1 }), a);
  assert.notDeepEqual(await ids({ classes: 4, perClass: 500, seed: 2 }), a);
  assert.ok(a.some((id) => Number(id.split('/')[1]) >= 16), a.join(' '));
});

test('spread: more classes than tiles gives n distinct classes; unlabelled rows and short datasets', async () => {
  const many = await ids({ classes: 100, perClass: 3 });
  assert.equal(new Set(many.map((id) => id.split('/')[0])).size, 16);
  assert.equal((await ids({ classes: 1, perClass: 1000, label: false })).length, 16);
  assert.deepEqual(await ids({ classes: 2, perClass: 3 }), ['c0/0', 'c1/0', 'c0/1', 'c1/1', 'c0/2', 'c1/2']);
});

test('captions carry the sample id under the label (long ids keep their end)', async () => {
  const [{ captionSvg }, { sheetLayout }] = await Promise.all([import('../../src/preview/caption.js'), import('../../src/preview/sheet.js')]);
  const svg = captionSvg(sheetLayout(2, 112, 112), ['t', 's'], [['Sneaker', 'test/00042'], ['Bag', 'some/very/long/directory/name/image-123.jpg']]);
  assert.match(svg, />Sneaker<\/text>\n<text [^>]*font-size="9"[^>]*>test\/00042<\/text>/);
  assert.match(svg, />…[^<]*image-123\.jpg<\/text>/);
});
