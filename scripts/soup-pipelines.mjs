// Writes pipelines/soup-lth.json (issue 26's decisive experiment), pipelines/soup-lth-v2.json (its
// second run: jax init, longer training; see `v2` below), pipelines/soup-lth-v3.json (the third:
// longer still; `v3`), pipelines/soup-lth-quick.json (the CI
// variant: same stages, paths and rule on a few hundred images; it checks outputs, not accuracy)
// and pipelines/soup-lth-recipe.json from one description, so they cannot drift:
//   node scripts/soup-pipelines.mjs
// Data: `dlth make-cluttered --background soup` (49×49 canvases of 7×7 cells of 7 px, one
// Fashion-MNIST item of 4×4 cells at a seeded cell offset, every other cell a cell of another item of
// the same split) with its object masks. A validation split is carved from the training file (its
// last images): the selector stops on it and every choice of the recipe was made on it, never on
// the test split.
// Paths at each EViT rate r (k = the chain's survivors), students all the same model, schedule and
// steps, 3 seeds (initialisation, order, flips and random draws):
//   (a) EViT tickets → tickets           (b) fixed random subsets (one draw per seed) → tickets
//   (b') random subsets redrawn every epoch → tickets   (h) saliency (pixel std) → saliency
//   (q) positional prior (the k positions most often object in the training masks) → same
//   (o) oracle (each image's object cells, filled to k at random) → same
//   (p) ticket positions only (pixels replaced by the mean) → same
//   (u) untrained-selector tickets → same          (c) all patches → all patches
import { writeFileSync } from 'node:fs';
import { FASHION_CLASSES, pipelineFile, rateTag as tag, survivors } from './pipeline-parts.mjs';




export const LABELS = {
  a: '(a) tickets → tickets',
  b: '(b) fixed random → tickets',
  bp: "(b') per-epoch random → tickets",
  h: '(h) saliency → saliency',
  q: '(q) positional prior → prior',
  o: '(o) oracle → oracle',
  p: '(p) ticket positions only',
  u: '(u) untrained-selector tickets → same',
  c: '(c) all → all',
  s: '(s) selector, dense → all',
};

function pipeline(v) {
  const data = v.dataDir;
  const init = v.weightInit ? { weightInit: v.weightInit } : {};
  const student = { model: v.student, epochs: v.epochs, batchSize: v.batchSize, lr: v.lr, warmupEpochs: v.warmupEpochs, weightDecay: v.weightDecay, flip: true, evalEvery: v.epochs, ...init };
  const source = (split, offset, limit) => ({ kind: 'idx', dir: data, split, classes: FASHION_CLASSES, ...(offset ? { offset } : {}), ...(limit ? { limit } : {}) });
  const masksOf = { train: `${data}/train-masks-idx3-ubyte.gz`, test: `${data}/t10k-masks-idx3-ubyte.gz` };
  const stages = [
    { kind: 'materialize', name: 'full', policy: 'full', sources: ['train', 'val', 'test'] },
    {
      kind: 'train', name: 'selector', model: v.selector, train: 'full/train', eval: ['full/val', 'full/test'], seeds: [0],
      epochs: v.selectorEpochs, batchSize: v.selectorBatchSize, lr: v.selectorLr, warmupEpochs: v.selectorWarmupEpochs, weightDecay: v.weightDecay, flip: true, evalEvery: 1,
      stopWhen: { eval: 'full/val', patience: v.patience }, evitEval: { rates: v.rates, blocks: v.selectorBlocks }, ...init,
    },
    { kind: 'train', name: 'dense', train: 'full/train', eval: ['full/val', 'full/test'], seeds: v.seeds, ...student },
  ];
  const paths = [{ label: LABELS.c, train: 'dense', eval: 'full/test' }, { label: LABELS.s, train: 'selector', eval: 'full/test' }];
  const add = (label, train, evalRef) => paths.push({ label, train, eval: evalRef });
  const recall = [];
  for (const r of v.rates) {
    const t = tag(r);
    const k = survivors(r, v.selectorBlocks);
    stages.push(
      { kind: 'score', name: `evit-${t}`, selector: 'selector', sources: ['train', 'test'], mode: 'evit', rate: r, blocks: v.selectorBlocks },
      { kind: 'score', name: `untrained-${t}`, selector: { init: 'random', model: v.selector, seed: 0 }, sources: ['train', 'test'], mode: 'evit', rate: r, blocks: v.selectorBlocks },
      { kind: 'materialize', name: `ticket-${t}`, policy: 'ticket', scores: `evit-${t}`, k, sources: ['train', 'test'] },
      { kind: 'materialize', name: `uticket-${t}`, policy: 'ticket', scores: `untrained-${t}`, k, sources: ['train', 'test'] },
      { kind: 'materialize', name: `saliency-${t}`, policy: 'saliency', k, sources: ['train', 'test'] },
      { kind: 'materialize', name: `prior-${t}`, policy: 'prior', k, priorMasks: masksOf.train, sources: ['train', 'test'] },
      { kind: 'materialize', name: `oracle-${t}`, policy: 'oracle', k, seed: 7, masks: masksOf, sources: ['train', 'test'] },
      ...v.seeds.map((s, i) => ({ kind: 'materialize', name: `random-${t}-s${s}`, policy: 'random', k, seed: 100 + s, sources: ['train', 'test'], ...(i > 0 ? { preview: false } : {}) })),
    );
    const tt = `ticket-${t}/test`;
    stages.push(
      { kind: 'train', name: `a-${t}`, train: `ticket-${t}/train`, eval: [tt, 'full/test'], seeds: v.seeds, ...student },
      ...v.seeds.map((s) => ({ kind: 'train', name: `b-${t}-s${s}`, train: `random-${t}-s${s}/train`, eval: [tt, 'full/test'], seeds: [s], ...student })),
      { kind: 'train', name: `bp-${t}`, train: 'full/train', subset: k, eval: [tt, 'full/test'], seeds: v.seeds, ...student },
      { kind: 'train', name: `h-${t}`, train: `saliency-${t}/train`, eval: [`saliency-${t}/test`, 'full/test'], seeds: v.seeds, ...student },
      { kind: 'train', name: `q-${t}`, train: `prior-${t}/train`, eval: [`prior-${t}/test`, 'full/test'], seeds: v.seeds, ...student },
      { kind: 'train', name: `o-${t}`, train: `oracle-${t}/train`, eval: [`oracle-${t}/test`, 'full/test'], seeds: v.seeds, ...student },
      { kind: 'train', name: `p-${t}`, train: `ticket-${t}/train`, positionsOnly: true, eval: [tt], seeds: v.seeds, ...student },
      { kind: 'train', name: `u-${t}`, train: `uticket-${t}/train`, eval: [`uticket-${t}/test`, 'full/test'], seeds: v.seeds, ...student },
    );
    add(LABELS.a, `a-${t}`, tt);
    for (const s of v.seeds) add(LABELS.b, `b-${t}-s${s}`, tt);
    add(LABELS.bp, `bp-${t}`, tt);
    add(LABELS.h, `h-${t}`, `saliency-${t}/test`);
    add(LABELS.q, `q-${t}`, `prior-${t}/test`);
    add(LABELS.o, `o-${t}`, `oracle-${t}/test`);
    add(LABELS.p, `p-${t}`, tt);
    add(LABELS.u, `u-${t}`, `uticket-${t}/test`);
    add('(a) tickets → all patches', `a-${t}`, 'full/test');
    add("(b') per-epoch random → all patches", `bp-${t}`, 'full/test');
    recall.push(
      { label: `(a) EViT tickets, k = ${k}`, ref: tt },
      { label: `(u) untrained-selector tickets, k = ${k}`, ref: `uticket-${t}/test` },
      { label: `(h) saliency, k = ${k}`, ref: `saliency-${t}/test` },
      { label: `(q) positional prior, k = ${k}`, ref: `prior-${t}/test` },
      { label: `(o) oracle, k = ${k}`, ref: `oracle-${t}/test` },
      { label: `(b) random (seed ${v.seeds[0]}), k = ${k}`, ref: `random-${t}-s${v.seeds[0]}/test` },
    );
  }
  stages.push({ kind: 'report', name: 'report', title: v.title, paths, ...v.report(recall) });
  return pipelineFile({ name: v.name, description: v.description, shardBytes: v.shardBytes, sources: { train: source('train', 0, v.trainCount), val: source('train', v.trainCount, v.valCount), test: source('test', 0, v.testLimit) }, patchify: { imageSize: 49, patchSize: 7, channels: 1, resize: 'none' }, stages });
}

/** The pass rule and recall check of issue 26, fixed before the run. */
const report = (data) => (recall) => ({
  rule: {
    ticket: LABELS.a,
    controls: [LABELS.bp, LABELS.q, LABELS.h],
    dense: LABELS.c,
    positionOnly: LABELS.p,
    chanceExpected: [LABELS.p],
    sdMultiplier: 2,
    minGap: 0.03,
    positionGap: 0.1,
    validity: { minAccuracy: [{ path: LABELS.o, min: 0.8 }, { path: LABELS.s, min: 0.75 }] },
  },
  recall: { masks: `${data}/t10k-masks-idx3-ubyte.gz`, full: 'full/test', datasets: recall, maxRuleGap: 0.03 },
});

/**
 * The recipe: small-data ViT practice (AdamW, weight decay 0.05, label smoothing 0.1, cosine with a
 * linear warm-up of a quarter of the run, flips); students at batch 64 for 2 epochs (1,688 steps).
 * The peak learning rate 2e-3 was chosen on the validation split by soup-lth-recipe (validation
 * accuracy after the students' schedule: 5e-4 49.72%, 1e-3 51.03%, 2e-3 53.10%; 2e-3 is the top of
 * the grid). The selector keeps the literature's 1e-3 at batch 128 and stops on the validation split.
 */
const recipe = {
  student: 'vit-micro-p7-49', epochs: 2, batchSize: 64, lr: 0.002, warmupEpochs: 0.5, weightDecay: 0.05,
  selector: 'vit-micro-p7-49', selectorEpochs: 10, selectorBatchSize: 128, selectorLr: 0.001, selectorWarmupEpochs: 1, patience: 2,
  selectorBlocks: [1, 2, 3], rates: [0.7],
};

const full = pipeline({
  ...recipe, name: 'soup-lth', dataDir: '../.cache/soup', trainCount: 54000, valCount: 6000, testLimit: undefined,
  seeds: [0, 1, 2], shardBytes: 16777216, report: report('../.cache/soup'),
  title: 'Data-level lottery tickets on patch soup (soup-lth)',
  description: 'Issue 26: the decisive experiment. Make the data first: dlth make-cluttered --background soup --out .cache/soup (49×49, 7-px cells = patches, one Fashion-MNIST item of 4×4 cells per image among cells of other items, object masks). 54,000 training images, 6,000 validation images carved from the end of the training file (the selector stops on them), the 10,000 test images. A selector (vit-micro, batch 128, lr 1e-3, up to 10 epochs) trained to a validation plateau (patience 2); one EViT chain at r = 0.7 (k = 18 of 49); students (vit-micro, 2 epochs = 1,688 steps of 64, peak lr 2e-3 chosen on the validation split by soup-lth-recipe): (a) tickets, (b) fixed random, (b\') per-epoch random, (h) saliency, (q) positional prior, (o) oracle, (p) positions only, (u) untrained-selector tickets, (c) all patches; 3 seeds each. The report states the pass rule and the validity conditions before the numbers, lists failed runs, and gives each policy\'s object recall.',
});
const quick = pipeline({
  ...recipe, name: 'soup-lth-quick', dataDir: '../.cache/soup-quick', trainCount: 448, valCount: 64, testLimit: undefined,
  epochs: 1, selectorEpochs: 2, patience: 1, seeds: [0, 1, 2], shardBytes: 1048576, batchSize: 32, selectorBatchSize: 32, report: report('../.cache/soup-quick'),
  title: 'Data-level lottery tickets on patch soup (soup-lth-quick)',
  description: 'CI variant of soup-lth (same stages, paths, rule and recall check; 1 epoch on 448 / 64 / 256 images: make them with dlth make-cluttered --background soup --fashion data/fashion-mnist-mini --out .cache/soup-quick --count 512 --test-count 256): checks that the experiment runs and writes well-formed outputs, not accuracy (its verdict is expected to be inconclusive).',
});
/**
 * The second run (soup-lth-v2): the first was inconclusive because its oracle students (73.95%)
 * and selector (65.93%) fell short of the validity thresholds. Changes, each decided on the
 * validation split or by budget, never on the test split (docs/trainer.md):
 * - timm's jax init (xavier_uniform, zero head) for the selector and every student: the dense
 *   student's validation accuracy after 1 epoch 46.48% → 48.93 / 50.13% (2 seeds), after 2 epochs
 *   53.10% (the recipe check) → 58.52%;
 * - the peak learning rate checked again with it on the validation split after 2 epochs: 2e-3
 *   58.52%, 4e-3 57.98%, 8e-3 53.05%: it stays 2e-3;
 * - students 3 epochs (2,532 steps) and the selector up to 15 epochs, as the 90-minute budget of
 *   `--jobs 2 --threads 1` on 2 cores allows.
 * The pass rule, validity conditions, data, splits, paths and seeds are those of soup-lth.
 */
const v2 = pipeline({
  ...recipe, name: 'soup-lth-v2', dataDir: '../.cache/soup', trainCount: 54000, valCount: 6000, testLimit: undefined,
  epochs: 3, selectorEpochs: 15, weightInit: 'jax',
  seeds: [0, 1, 2], shardBytes: 16777216, report: report('../.cache/soup'),
  title: 'Data-level lottery tickets on patch soup, second run (soup-lth-v2)',
  description: 'Issue 26, second run: soup-lth with the selector and every student initialised by timm\'s jax scheme (weightInit: jax), students 3 epochs (2,532 steps of 64, peak lr 2e-3, re-checked on the validation split), the selector up to 15 epochs (patience 2 on the validation split). Data, splits, paths, seeds, pass rule and validity conditions as soup-lth. Make the data first: dlth make-cluttered --background soup --out .cache/soup.',
});

/**
 * The third run (soup-lth-v3): the second was inconclusive because both validity figures fell about
 * a point short (oracle students 79.09%, selector 73.91%), and its selector was still improving
 * (validation 74.42, 74.68, 74.85% over its last three epochs, patience never fired). Only the
 * training length changes, as the 90-minute budget of `--jobs 2 --threads 1` on 2 cores allows:
 * the selector up to 25 epochs (from 15; still stopping on the validation split with patience 2),
 * students 4 epochs (3,376 steps of 64, from 3). The recipe (jax init, lr 2e-3 / 1e-3, the same
 * warm-up in epochs: 0.5 for students, 1 for the selector), pass rule, validity conditions, data, splits, paths and seeds are v2's.
 */
const v3 = pipeline({
  ...recipe, name: 'soup-lth-v3', dataDir: '../.cache/soup', trainCount: 54000, valCount: 6000, testLimit: undefined,
  epochs: 4, selectorEpochs: 25, weightInit: 'jax',
  seeds: [0, 1, 2], shardBytes: 16777216, report: report('../.cache/soup'),
  title: 'Data-level lottery tickets on patch soup, third run (soup-lth-v3)',
  description: 'Issue 26, third run: soup-lth-v2 trained longer, as the 90-minute budget allows: students 4 epochs (3,376 steps of 64, half an epoch of warm-up, peak lr 2e-3), the selector up to 25 epochs (patience 2 on the validation split). Initialisation (jax), data, splits, paths, seeds, pass rule and validity conditions as soup-lth-v2. Make the data first: dlth make-cluttered --background soup --out .cache/soup.',
});

/**
 * Issue 28's students on JPEG tickets (soup-lth-v3-jpeg), run after soup-lth-v3: its trained
 * selector (the checkpoint file that run wrote) scores the same images again, its EViT tickets at
 * r = 0.7 are stored as JPEG (quality 90; 7-px patches in 8-px cells, grayscale) and as raw bytes,
 * and the v3 students' recipe trains on the JPEG tickets (3 seeds). Evaluated on JPEG test tickets
 * and on raw test tickets; the raw-ticket students to compare with are v3's (a).
 */
const V3_SELECTOR = '../out/soup-lth-v3/models/selector/seed-0/model.safetensors';
const v3jpeg = (() => {
  const v = { ...recipe, epochs: 4, weightInit: 'jax', seeds: [0, 1, 2] };
  const data = '../.cache/soup';
  const source = (split, offset, limit) => ({ kind: 'idx', dir: data, split, classes: FASHION_CLASSES, ...(offset ? { offset } : {}), ...(limit ? { limit } : {}) });
  const k = survivors(0.7, v.selectorBlocks);
  const student = { model: v.student, epochs: v.epochs, batchSize: v.batchSize, lr: v.lr, warmupEpochs: v.warmupEpochs, weightDecay: v.weightDecay, flip: true, evalEvery: v.epochs, weightInit: 'jax' };
  return pipelineFile({
    name: 'soup-lth-v3-jpeg',
    description: `Issue 28: students on JPEG-encoded tickets. Run after soup-lth-v3 (its selector checkpoint ${V3_SELECTOR}): EViT r = 0.7 tickets (k = ${k} of 49) of the same 54,000 training and 10,000 test images, stored as JPEG (quality 90) and raw; v3's student recipe (4 epochs, 3 seeds) on the JPEG tickets, evaluated on JPEG and on raw test tickets. Compare with soup-lth-v3's (a) tickets → tickets.`,
    shardBytes: 16777216,
    sources: { train: source('train', 0, 54000), test: source('test', 0, undefined) },
    patchify: { imageSize: 49, patchSize: 7, channels: 1, resize: 'none' },
    stages: [
      { kind: 'score', name: 'evit-r70', selector: { checkpoint: V3_SELECTOR, model: v.selector }, sources: ['train', 'test'], mode: 'evit', rate: 0.7, blocks: v.selectorBlocks },
      { kind: 'materialize', name: 'ticket-r70', policy: 'ticket', scores: 'evit-r70', k, sources: ['train', 'test'], preview: false },
      { kind: 'materialize', name: 'jticket-r70', policy: 'ticket', scores: 'evit-r70', k, sources: ['train', 'test'], patchEncoding: 'jpeg', jpegQuality: 90 },
      { kind: 'train', name: 'aj-r70', train: 'jticket-r70/train', eval: ['jticket-r70/test', 'ticket-r70/test'], seeds: v.seeds, ...student },
      { kind: 'report', name: 'report', title: 'Students on JPEG tickets (soup-lth-v3-jpeg)', paths: [
        { label: '(aj) JPEG tickets → JPEG tickets', train: 'aj-r70', eval: 'jticket-r70/test' },
        { label: '(aj) JPEG tickets → raw tickets', train: 'aj-r70', eval: 'ticket-r70/test' },
      ] },
    ],
  });
})();

/**
 * Issue 27's measurement (soup-views), run after soup-lth-v3: what K = 4 views per image and the
 * token augmentations buy the experiment's (a) students. v3's selector checkpoint scores the
 * training images once plainly (K = 1) and once with 4 views (view 0 plain, views 1–3 timm's
 * random-resized crops, scale (0.08, 1), ratio (3/4, 4/3), flips); EViT r = 0.7 tickets of each;
 * v3's student recipe (4 epochs, 3 seeds, the same steps: a K = 4 epoch yields one view per image)
 * with and without DeiT's augmentations as token operations (colour jitter 0.4, token erasing 0.25,
 * token mixup 0.8 / cutmix 1.0). Every student is evaluated on the same plain test tickets.
 */
const soupViews = (() => {
  const v = { ...recipe, epochs: 4, seeds: [0, 1, 2] };
  const data = '../.cache/soup';
  const source = (split, offset, limit) => ({ kind: 'idx', dir: data, split, classes: FASHION_CLASSES, ...(offset ? { offset } : {}), ...(limit ? { limit } : {}) });
  const k = survivors(0.7, v.selectorBlocks);
  const student = { model: v.student, epochs: v.epochs, batchSize: v.batchSize, lr: v.lr, warmupEpochs: v.warmupEpochs, weightDecay: v.weightDecay, flip: true, evalEvery: v.epochs, weightInit: 'jax', seeds: v.seeds };
  const augment = { colorJitter: 0.4, reprob: 0.25, mixupAlpha: 0.8, cutmixAlpha: 1.0 };
  const selector = { checkpoint: V3_SELECTOR, model: v.selector };
  const score = { mode: 'evit', rate: 0.7, blocks: v.selectorBlocks };
  const runs = [['k1', 'ticket-r70/train', false], ['k4', 'ticket-r70-v4/train', false], ['k1-aug', 'ticket-r70/train', true], ['k4-aug', 'ticket-r70-v4/train', true]];
  return pipelineFile({
    name: 'soup-views',
    description: `Issue 27: students with K = 1 vs K = 4 views and with vs without token augmentations. Run after soup-lth-v3 (its selector checkpoint ${V3_SELECTOR}): EViT r = 0.7 tickets (k = ${k} of 49) of the 54,000 training images scored plainly and with 4 views (view 0 plain, 3 random-resized crops with flips); v3's student recipe, 3 seeds per cell, the same steps; every student evaluated on the plain test tickets.`,
    shardBytes: 16777216,
    sources: { train: source('train', 0, 54000), test: source('test', 0, undefined) },
    patchify: { imageSize: 49, patchSize: 7, channels: 1, resize: 'none' },
    stages: [
      { kind: 'score', name: 'evit-r70', selector, sources: ['train', 'test'], ...score },
      { kind: 'score', name: 'evit-r70-v4', selector, sources: ['train'], ...score, views: 4 },
      { kind: 'materialize', name: 'ticket-r70', policy: 'ticket', scores: 'evit-r70', k, sources: ['train', 'test'] },
      { kind: 'materialize', name: 'ticket-r70-v4', policy: 'ticket', scores: 'evit-r70-v4', k, sources: ['train'] },
      ...runs.map(([name, train, aug]) => ({ kind: 'train', name, train, eval: ['ticket-r70/test'], ...student, ...(aug ? { augment } : {}) })),
      { kind: 'report', name: 'report', title: 'Views and token augmentations (soup-views)', paths: [
        { label: 'K = 1, no augmentation', train: 'k1', eval: 'ticket-r70/test' },
        { label: 'K = 4, no augmentation', train: 'k4', eval: 'ticket-r70/test' },
        { label: 'K = 1, token augmentations', train: 'k1-aug', eval: 'ticket-r70/test' },
        { label: 'K = 4, token augmentations', train: 'k4-aug', eval: 'ticket-r70/test' },
      ] },
    ],
  });
})();

/**
 * A follow-up to soup-views, added after its table (so post hoc, and labelled so in its report):
 * timm's default crop scale (0.08, 1) cut K = 4 students from 62.3% to 35.6% on patch soup, whose
 * object covers a third of the image at a random place, so most small crops miss it and show only
 * cells of other items. This pipeline asks whether milder crops, scale (0.5, 1), change that: the
 * same selector, tickets and student recipe, K = 4, no token augmentations, 3 seeds.
 */
const soupViewsS50 = (() => {
  const base = soupViews;
  const stages = base.stages.filter((s) => ['evit-r70', 'ticket-r70'].includes(s.name));
  const score = base.stages.find((s) => s.name === 'evit-r70-v4');
  const mat = base.stages.find((s) => s.name === 'ticket-r70-v4');
  const k4 = base.stages.find((s) => s.name === 'k4');
  return pipelineFile({
    name: 'soup-views-s50',
    description: `Issue 27, a post-hoc follow-up to soup-views: K = 4 views with crop scale (0.5, 1) instead of timm's (0.08, 1), otherwise soup-views' K = 4 cell without augmentations (v3's selector checkpoint ${V3_SELECTOR}, EViT r = 0.7, k = 18, v3's student recipe, 3 seeds, evaluated on the plain test tickets).`,
    shardBytes: base.shardBytes,
    sources: base.sources,
    patchify: base.patchify,
    stages: [
      ...stages,
      { ...score, name: 'evit-r70-v4s50', views: { count: 4, scale: [0.5, 1] } },
      { ...mat, name: 'ticket-r70-v4s50', scores: 'evit-r70-v4s50' },
      // one stage per seed, so that `--jobs 2` trains two at once
      ...k4.seeds.map((seed) => ({ ...k4, name: `k4-s50-s${seed}`, train: 'ticket-r70-v4s50/train', seeds: [seed] })),
      { kind: 'report', name: 'report', title: 'Views with crop scale (0.5, 1) (soup-views-s50, post hoc)', paths: k4.seeds.map((seed) => ({ label: 'K = 4, crop scale (0.5, 1), no augmentation', train: `k4-s50-s${seed}`, eval: 'ticket-r70/test' })) },
    ],
  });
})();

/**
 * The recipe check, on the validation split only (no test source at all): the student on all
 * patches, 2 epochs at each literature learning rate, the one with the best validation accuracy
 * taken for every student. Its figures are in docs/results/soup-lth/recipe-report.md.
 */
const LRS = [0.0005, 0.001, 0.002];
const lrTag = (lr) => `lr${lr.toExponential().replace('.', 'p').replace('-', 'm')}`;
const recipeCheck = pipelineFile({
  name: 'soup-lth-recipe',
  description: 'The recipe check of soup-lth on its validation split (the last 6,000 images of the training file; no test images are read): the students\' schedule (vit-micro on all patches, batch 64, 2 epochs = 1,688 steps with half an epoch of warm-up, weight decay 0.05, label smoothing 0.1, flips) at peak learning rates 5e-4, 1e-3 and 2e-3.',
  shardBytes: 16777216,
  sources: { train: full.sources.train, val: full.sources.val },
  patchify: full.patchify,
  stages: [
    { kind: 'materialize', name: 'full', policy: 'full', sources: ['train', 'val'] },
    ...LRS.map((lr) => ({ kind: 'train', name: `dense-${lrTag(lr)}`, model: recipe.student, train: 'full/train', eval: ['full/val'], seeds: [0], epochs: recipe.epochs, batchSize: recipe.batchSize, lr, warmupEpochs: recipe.warmupEpochs, weightDecay: recipe.weightDecay, flip: true, evalEvery: 1 })),
    { kind: 'report', name: 'report', title: 'soup-lth recipe check (validation split)', paths: LRS.map((lr) => ({ label: `lr ${lr}`, train: `dense-${lrTag(lr)}`, eval: 'full/val' })) },
  ],
});
for (const p of [full, v2, v3, v3jpeg, soupViews, soupViewsS50, quick, recipeCheck]) writeFileSync(new URL(`../pipelines/${p.name}.json`, import.meta.url), `${JSON.stringify(p, null, 2)}\n`);
console.log(`stages: ${full.stages.length}; k per rate: ${recipe.rates.map((r) => `${r} → ${survivors(r, recipe.selectorBlocks)}`).join(', ')}`);
