/**
 * The report's object recall and verdict end to end, on four hand-made 8×8 images in patches of 4
 * (a 2×2 grid) and their masks: datasets materialized by the pipeline (full, oracle k = 1, centre
 * prior k = 2), train runs stood in by their summary.json, then the report stage: recall per
 * policy as counted by hand, the pixel rules against random, failed runs, the verdict first in
 * report.md and in verdict.json; the recall sheet (the same images in every row, one row per recall
 * dataset, the object's mask outlined). Rows that cannot be matched to the masks are refused.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { modelPath } from '../../src/pipeline/layout.js';
import { measureReportRecall } from '../../src/pipeline/report-recall.js';
import { accuracyChart, aggregate } from '../../src/pipeline/report.js';
import { checkReportStage } from '../../src/pipeline/report-check.js';
import type { ReportStage } from '../../src/pipeline/types.js';
import { encodeIdx } from '../../src/synth/idx-write.js';
import { InputError } from '../../src/util/errors.js';
import { comparisonLayout } from '../../src/preview/compare.js';
import { tileOrigin } from '../../src/preview/sheet.js';
import { OUTLINE } from '../../src/preview/outline.js';
import sharp from 'sharp';

const H = 8;
/** Object patches of each image (cover 1); image 2 also has a quarter of patch 2 under its mask (not object). */
const OBJECTS = [[0], [0, 3], [1], []];

function images(): { pixels: Uint8Array; masks: Uint8Array } {
  const pixels = new Uint8Array(4 * H * H).fill(100);
  const masks = new Uint8Array(4 * H * H);
  OBJECTS.forEach((objs, i) => {
    for (const j of objs) {
      const [r, c] = [Math.floor(j / 2) * 4, (j % 2) * 4];
      for (let y = r; y < r + 4; y++) {
        for (let x = c; x < c + 4; x++) {
          pixels[i * 64 + y * H + x] = ((x + y) % 2) * 255; // a checkerboard: high std, mean and gradient
          masks[i * 64 + y * H + x] = 1;
        }
      }
    }
  });
  for (const [y, x] of [[4, 0], [4, 1], [5, 0], [5, 1]]) masks[2 * 64 + y * H + x] = 1;
  return { pixels, masks };
}

const sparse = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ kind: 'train', name, model: 'vit-micro-p4-28', train: 'oracle/test', eval: ['oracle/test'], epochs: 1, seeds: [0, 1, 2], ...extra });
const REPORT = {
  kind: 'report', name: 'report', title: 'tiny',
  paths: [
    { label: '(a)', train: 'a', eval: 'oracle/test' }, { label: '(h)', train: 'h', eval: 'oracle/test' }, { label: '(p)', train: 'p', eval: 'oracle/test' },
    { label: '(o)', train: 'o', eval: 'oracle/test' }, { label: '(c)', train: 'c', eval: 'full/test' },
  ],
  rule: { ticket: '(a)', controls: ['(h)'], positionOnly: '(p)', dense: '(c)', minGap: 0.03, positionGap: 0.1, chanceExpected: ['(p)'], validity: { minAccuracy: [{ path: '(o)', min: 0.8 }] } },
  recall: { masks: 't10k-masks-idx3-ubyte', full: 'full/test', datasets: [{ label: '(o) oracle', ref: 'oracle/test' }, { label: '(q) centre', ref: 'centre/test' }], maxRuleGap: 0.03 },
};
/** Final test accuracy per train stage and seed (10 classes: chance 0.1; h's seed 2 failed, p at chance as expected, o under its 0.8). */
const ACC: Record<string, number[]> = { a: [0.6, 0.61, 0.62], h: [0.4, 0.41, 0.11], p: [0.1, 0.1, 0.1], o: [0.7, 0.71, 0.72], c: [0.61, 0.62, 0.63] };

let dir = '';
let out = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dlth-report-recall-'));
  out = join(dir, 'out');
  const { pixels, masks } = images();
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx([4, H, H], pixels));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([4], Uint8Array.from([0, 1, 2, 3])));
  writeFileSync(join(dir, 't10k-masks-idx3-ubyte'), encodeIdx([4, H, H], masks));
  writeFileSync(join(dir, 'two-masks'), encodeIdx([2, H, H], masks.subarray(0, 2 * 64)));
  writeFileSync(join(dir, 'small-masks'), encodeIdx([4, 4, 4], new Uint8Array(64)));
  const pipeline = {
    name: 'recall-tiny', seed: 0,
    sources: { test: { kind: 'idx', dir: '.', split: 'test' }, few: { kind: 'idx', dir: '.', split: 'test', limit: 3 } },
    patchify: { imageSize: H, patchSize: 4, channels: 1, resize: 'none' },
    stages: [
      { kind: 'materialize', name: 'full', policy: 'full', sources: ['test'], preview: false },
      { kind: 'materialize', name: 'oracle', policy: 'oracle', k: 1, sources: ['test'], masks: { test: 't10k-masks-idx3-ubyte' }, seed: 5, preview: false },
      { kind: 'materialize', name: 'centre', policy: 'prior', k: 2, sources: ['test'], preview: false },
      { kind: 'materialize', name: 'few', policy: 'random', k: 2, sources: ['few'], preview: false },
      sparse('a'), sparse('h'), sparse('p', { positionsOnly: true }), sparse('o'),
      { kind: 'train', name: 'c', model: 'vit-micro-p4-28', train: 'full/test', eval: ['full/test'], epochs: 1, seeds: [0, 1, 2] },
      REPORT,
    ],
  };
  writeFileSync(join(dir, 'p.json'), JSON.stringify(pipeline));
  const loaded = await loadPipeline(join(dir, 'p.json'));
  await runPipeline(loaded, { out, quiet: true, only: ['full', 'oracle', 'centre', 'few'], log: () => {} });
  for (const [stage, accs] of Object.entries(ACC)) {
    const ref = stage === 'c' ? 'full/test' : 'oracle/test';
    accs.forEach((acc, seed) => {
      const runDir = join(out, modelPath(stage, null, seed));
      mkdirSync(runDir, { recursive: true });
      const summary = { epochs: 1, stoppedEarly: false, modelConfig: { numClasses: 10 }, datasets: { train: { k: stage === 'c' ? 4 : 1 } }, eval: { [ref]: { final: { acc } } } };
      writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary));
    });
  }
  await runPipeline(loaded, { out, quiet: true, only: ['report'], log: () => {} });
});

const ds = (name: string): string => join(out, 'datasets', name, name === 'few' ? 'few' : 'test');

test('recall per policy as counted by hand: the datasets\' kept positions, random k / N, the pixel rules on full', async () => {
  const t = await measureReportRecall({ masks: join(dir, 't10k-masks-idx3-ubyte'), full: { ref: 'full/test', dir: ds('full') }, datasets: [
    { label: 'oracle', ref: 'oracle/test', dir: ds('oracle') }, { label: 'centre', ref: 'centre/test', dir: ds('centre') },
  ], ks: [1, 4] });
  assert.deepEqual([t.images, t.n, t.ks, t.objectPatches], [4, 4, [2, 1], 1]);
  const row = (p: string): (number | null)[] | undefined => t.rows.find((r) => r.policy === p)?.recall;
  assert.deepEqual(row('random (k / N, exact)'), [0.5, 0.25]);
  // oracle k = 1: image 0 its object, image 1 one of its two, image 2 its object, image 3 has none (recall 1)
  assert.deepEqual(row('oracle'), [null, (1 + 0.5 + 1 + 1) / 4]);
  // the centre on a 2×2 grid: positions 0 and 1 (equal distances, by position)
  assert.deepEqual(row('centre'), [(1 + 0.5 + 1 + 1) / 4, null]);
  // the checkerboard objects have the highest std, mean and gradient: at k = 1 ties go to the lower position (image 1: 0 of {0, 3})
  for (const stat of ['std', 'mean', 'gradient']) {
    assert.deepEqual(row(`${stat}, highest`), [1, 0.875], stat);
    assert.deepEqual(row(`${stat}, lowest`), [0.25, 0.25], stat); // only image 3 (no object) recalls anything
  }
  assert.deepEqual(t.worstRuleGap, { gap: 0.625, rule: 'std, highest', k: 1 });
});

test('report.md: the verdict first, then the rule, the table with failed runs, checks, validity, recall and the failed runs', () => {
  const md = readFileSync(join(out, 'reports/report/report.md'), 'utf8');
  const lines = md.split('\n');
  assert.equal(lines[0], '# tiny');
  assert.equal(lines[2], '**Verdict: inconclusive — validity: (o): 71.00% < 80.00% (n=3); validity: largest |pixel rule − random| 62.50 points (std, highest, k = 1) > 3.00**');
  const order = ['**Verdict', '## Pass rule (fixed before the runs)', '## Accuracy', '## Pass rule: outcome', '## Validity', '## Object recall per policy', '## Failed runs', '![accuracy', '## Runs'].map((h) => md.indexOf(h));
  assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])), `sections in order: ${order}`);
  assert.match(md, /\*\*\(c\)\*\* − \*\*\(a\)\*\* < max\(2 × the pooled seed standard deviation of these two cells, 3\.00 points\)/);
  assert.match(md, /- \*\*\(o\)\*\*: mean test accuracy over its successful runs ≥ 80\.00% at every kept fraction it was run at;/);
  assert.match(md, /\| 40\.50 ± 0\.71 \(n=2, 1 failed\) \| 10\.00 ± 0\.00 \(n=3, 3 at chance, expected\) \|/);
  assert.match(md, /\| \(h\) \| 0\.25 \| 1 \| 2 \| 11\.00 \| 10\.00 \| failed, not averaged in \|/);
  assert.match(md, /\| \(o\) oracle \| – \| 87\.5 \|/);
  assert.match(md, /\| pixel rule: std, highest \| 100\.0 \| 87\.5 \|/);
  assert.match(md, /\| every per-patch pixel rule within ±3\.00 points of random's recall at every k \| 62\.50 \| 3\.00 \| no \|/);
  assert.ok(existsSync(join(out, 'reports/report/accuracy.png')));
});

test('verdict.json: the verdict, its reasons, the checks, validity, recall and failed runs', () => {
  const v = JSON.parse(readFileSync(join(out, 'reports/report/verdict.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(v.verdict, 'inconclusive');
  assert.equal((v.reasons as string[]).length, 2);
  const [check] = v.checks as { k: number; controlsPass: boolean; dense: { pass: boolean }; positionOnly: { pass: boolean } }[];
  assert.deepEqual([check.k, check.controlsPass, check.positionOnly.pass, check.dense.pass], [1, true, true, true]);
  assert.deepEqual((v.validity as { pass: boolean }[]).map((c) => c.pass), [false, false]);
  assert.deepEqual((v.failedRuns as { path: string; seed: number; status: string }[]).filter((r) => r.status === 'failed').map((r) => [r.path, r.seed]), [['(h)', 2]]);
  assert.equal((v.recall as { rows: unknown[] }).rows.length, 1 + 2 + 6);
  const results = JSON.parse(readFileSync(join(out, 'reports/report/results.json'), 'utf8')) as { cells: { path: string; failed: number }[] };
  assert.equal(results.cells.find((c) => c.path === '(h)')?.failed, 1);
});

test('recall-preview.png: the four images in every row (every patch, oracle, centre), each object\'s mask contour outlined; linked in report.md', async () => {
  const file = join(out, 'reports/report/recall-preview.png');
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const l = comparisonLayout(3, 4, 112, 112); // 8×8 images at scale 14
  assert.deepEqual([info.width, info.height], [l.width, l.height]);
  const orange = (row: number, image: number, x: number, y: number): boolean => {
    const o = tileOrigin(l, row * 4 + image);
    const at = ((o.y + y) * info.width + o.x + x) * 3;
    return [...data.subarray(at, at + 3)].join() === OUTLINE.join();
  };
  for (const row of [0, 1, 2]) {
    // image 0: its object is patch 0 (pixels 0..3 → tile pixels 0..55): outlined on its border only
    assert.ok(orange(row, 0, 0, 0) && orange(row, 0, 55, 30) && orange(row, 0, 30, 54), `row ${row}: image 0's outline`);
    assert.ok(!orange(row, 0, 56, 30) && !orange(row, 0, 30, 30), `row ${row}: image 0 inside and outside its mask`);
    // image 2: patch 1 and the 2×2 pixels below patch 0's corner: the contour, not the bounding box
    assert.ok(orange(row, 2, 56, 0) && orange(row, 2, 0, 60) && orange(row, 2, 27, 70) && orange(row, 2, 60, 55), `row ${row}: image 2's contour`);
    assert.ok(!orange(row, 2, 13, 70) && !orange(row, 2, 100, 83) && !orange(row, 2, 110, 70), `row ${row}: image 2 not its bounding box`);
    // image 3 has no object
    for (const [x, y] of [[0, 0], [55, 55], [111, 111]]) assert.ok(!orange(row, 3, x, y), `row ${row}: image 3 has no outline`);
  }
  const md = readFileSync(join(out, 'reports/report/report.md'), 'utf8');
  assert.ok(md.indexOf('](recall-preview.png)') > md.indexOf('## Ticket previews'), 'the sheet is in the previews section');
});

test('the chart draws ± 1 sd error bars', () => {
  const cells = aggregate([0.5, 0.6, 0.7].map((accuracy, seed) => ({ path: 'a', keep: 0.5, k: 2, seed, accuracy })));
  const svg = accuracyChart('t', cells, ['a']);
  const bars = [...svg.matchAll(/<line x1="([\d.]+)" x2="\1" y1="([\d.]+)" y2="([\d.]+)" stroke="#[0-9a-f]{6}" stroke-width="1\.5"\/>/g)];
  assert.equal(bars.length, 1, 'one vertical bar for the one point');
  const circle = /<circle cx="([\d.]+)" cy="([\d.]+)"/.exec(svg);
  assert.ok(circle && circle[1] === bars[0][1], 'at the point');
  const [y1, y2, cy] = [Number(bars[0][2]), Number(bars[0][3]), Number(circle[2])];
  assert.ok(Math.abs(y1 - cy - (cy - y2)) < 0.2 && y1 > y2, 'centred on the mean');
});

test('rows that cannot be matched to the masks, datasets of other images, and masks of another size are refused', async () => {
  const full = { ref: 'full/test', dir: ds('full') };
  const refused = (message: RegExp) => (e: unknown) => e instanceof InputError && message.test(e.message);
  await assert.rejects(measureReportRecall({ masks: join(dir, 't10k-masks-idx3-ubyte'), full, datasets: [{ label: 'few', ref: 'few/few', dir: ds('few') }] }),
    refused(/few\/few holds 3 rows, recall\.full 4: the recall of policies is compared on the same images/));
  await assert.rejects(measureReportRecall({ masks: join(dir, 'two-masks'), full, datasets: [] }), refused(/row "test\/00002" is image 2 of its file; the mask file holds 2 masks/));
  await assert.rejects(measureReportRecall({ masks: join(dir, 'small-masks'), full, datasets: [] }), refused(/masks are 4×4, the datasets' images 8×8/));
  await assert.rejects(measureReportRecall({ masks: join(dir, 't10k-masks-idx3-ubyte'), full: { ref: 'oracle/test', dir: ds('oracle') }, datasets: [] }),
    refused(/recall\.full: oracle\/test keeps 1 of 4 patches; it must hold every patch/));
});

test('the rule\'s labels must be the report\'s path labels; recall references must be dataset references', () => {
  const stage = { ...REPORT, rule: { ...REPORT.rule, controls: ['(h)', '(x)'], validity: { minAccuracy: [{ path: '(y)', min: 0.5 }] } }, recall: { ...REPORT.recall, full: 'full' } } as ReportStage;
  assert.deepEqual(checkReportStage(stage), [
    'rule.controls[1]: "(x)" is not a label of the report\'s paths',
    'rule.validity.minAccuracy[0].path: "(y)" is not a label of the report\'s paths',
    'recall.full: "full" is not a dataset reference <stage>[@<keep>]/<source>',
  ]);
  assert.deepEqual(checkReportStage(REPORT as ReportStage), []);
});

test('a report rule naming no path is refused when the pipeline is validated, before any stage runs', async () => {
  const { validatePipeline } = await import('../../src/pipeline/validate.js');
  const { readFileSync } = await import('node:fs');
  const p = JSON.parse(readFileSync('pipelines/soup-lth-quick.json', 'utf8')) as { stages: { kind: string; rule?: { controls: string[] } }[] };
  assert.doesNotThrow(() => validatePipeline(structuredClone(p), 'soup-lth-quick.json'));
  const report = p.stages.find((s) => s.kind === 'report');
  assert.ok(report?.rule);
  report.rule.controls.push('(z) no such path');
  assert.throws(() => validatePipeline(p, 'soup-lth-quick.json'), /rule\.controls\[3\]: "\(z\) no such path" is not a label of the report's paths/);
});
