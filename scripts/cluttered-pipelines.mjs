// Writes pipelines/cluttered-lth.json and pipelines/cluttered-lth-quick.json (the experiment of
// issue 17 and its CI smoke variant), and pipelines/fashion-mnist-controls.json (the same paths on
// plain Fashion-MNIST, 28×28, patch 4) from one description, so they cannot drift:
//   node scripts/cluttered-pipelines.mjs
// Paths, per EViT rate r (one chain each) and its ticket size k, same model/schedule/steps:
//   (a) tickets → tickets; (b) fixed random subsets (one draw per seed) → tickets;
//   (b') random subsets redrawn every epoch (from all patches) → tickets; (h) saliency → saliency;
//   (p) ticket positions only (pixels replaced by the mean) → same; (u) untrained-selector tickets
//   → same; (c) all → all. Every student is also evaluated on all patches.
import { writeFileSync } from 'node:fs';
import { FASHION_CLASSES, pipelineFile, rateTag as tag, survivors } from './pipeline-parts.mjs';

const BLOCKS = [1, 2, 3];
const RATES = [0.9, 0.8, 0.7];



function pipeline(v) {
  const MODEL = v.model;
  // Students evaluate once, after their last epoch (evalEvery = epochs); the selector every epoch (stopWhen).
  const sched = { model: MODEL, epochs: v.epochs, batchSize: v.batchSize, lr: v.lr, warmupEpochs: v.warmupEpochs, flip: true, evalEvery: v.epochs };
  const source = (split, limit) => ({ kind: 'idx', dir: v.dataDir, split, classes: FASHION_CLASSES, limit });
  const stages = [
    { kind: 'materialize', name: 'full', policy: 'full', sources: ['train', 'test'] },
    { kind: 'train', name: 'selector', train: 'full/train', eval: ['full/test'], seeds: [0], ...sched, epochs: v.selectorEpochs, evalEvery: 1,
      stopWhen: { eval: 'full/test', patience: v.patience }, evitEval: { rates: RATES, blocks: BLOCKS } },
    { kind: 'train', name: 'dense', train: 'full/train', eval: ['full/test'], seeds: v.seeds, ...sched },
  ];
  const paths = [{ label: '(c) all → all', train: 'dense', eval: 'full/test' }, { label: '(s) selector, dense → all', train: 'selector', eval: 'full/test' }];
  const add = (label, train, evalRef) => paths.push({ label, train, eval: evalRef });
  for (const r of RATES) {
    const t = tag(r);
    const k = survivors(r, BLOCKS);
    stages.push(
      { kind: 'score', name: `evit-${t}`, selector: 'selector', sources: ['train', 'test'], mode: 'evit', rate: r, blocks: BLOCKS },
      { kind: 'score', name: `untrained-${t}`, selector: { init: 'random', model: MODEL, seed: 0 }, sources: ['train', 'test'], mode: 'evit', rate: r, blocks: BLOCKS },
      { kind: 'materialize', name: `ticket-${t}`, policy: 'ticket', scores: `evit-${t}`, k, sources: ['train', 'test'] },
      { kind: 'materialize', name: `uticket-${t}`, policy: 'ticket', scores: `untrained-${t}`, k, sources: ['train', 'test'] },
      { kind: 'materialize', name: `saliency-${t}`, policy: 'saliency', k, sources: ['train', 'test'] },
      ...v.seeds.map((s, i) => ({ kind: 'materialize', name: `random-${t}-s${s}`, policy: 'random', k, seed: 100 + s, sources: ['train'], ...(i > 0 ? { preview: false } : {}) })),
    );
    const ticketTest = `ticket-${t}/test`;
    stages.push(
      { kind: 'train', name: `a-${t}`, train: `ticket-${t}/train`, eval: [ticketTest, 'full/test'], seeds: v.seeds, ...sched },
      ...v.seeds.map((s) => ({ kind: 'train', name: `b-${t}-s${s}`, train: `random-${t}-s${s}/train`, eval: [ticketTest, 'full/test'], seeds: [s], ...sched })),
      { kind: 'train', name: `bp-${t}`, train: 'full/train', subset: k, eval: [ticketTest, 'full/test'], seeds: v.seeds, ...sched },
      { kind: 'train', name: `h-${t}`, train: `saliency-${t}/train`, eval: [`saliency-${t}/test`, 'full/test'], seeds: v.seeds, ...sched },
      { kind: 'train', name: `p-${t}`, train: `ticket-${t}/train`, positionsOnly: true, eval: [ticketTest], seeds: v.seeds, ...sched },
      { kind: 'train', name: `u-${t}`, train: `uticket-${t}/train`, eval: [`uticket-${t}/test`, 'full/test'], seeds: v.seeds, ...sched },
    );
    add('(a) tickets → tickets', `a-${t}`, ticketTest);
    for (const s of v.seeds) add('(b) fixed random → tickets', `b-${t}-s${s}`, ticketTest);
    add("(b') per-epoch random → tickets", `bp-${t}`, ticketTest);
    add('(h) saliency → saliency', `h-${t}`, `saliency-${t}/test`);
    add('(p) ticket positions only', `p-${t}`, ticketTest);
    add('(u) untrained-selector tickets → same', `u-${t}`, `uticket-${t}/test`);
    add('(a) tickets → all patches', `a-${t}`, 'full/test');
    for (const s of v.seeds) add('(b) fixed random → all patches', `b-${t}-s${s}`, 'full/test');
    add("(b') per-epoch random → all patches", `bp-${t}`, 'full/test');
    add('(h) saliency → all patches', `h-${t}`, 'full/test');
    add('(u) untrained-selector tickets → all patches', `u-${t}`, 'full/test');
  }
  stages.push({
    kind: 'report', name: 'report', title: v.title, paths,
    rule: { ticket: '(a) tickets → tickets', controls: ['(h) saliency → saliency', "(b') per-epoch random → tickets"], positionOnly: '(p) ticket positions only', sdMultiplier: 2, positionGap: 0.05 },
  });
  return pipelineFile({ name: v.name, description: v.description, shardBytes: v.shardBytes, sources: { train: source('train', v.trainLimit), test: source('test', v.testLimit) }, patchify: v.patchify, stages });
}

const common = { batchSize: 64, lr: 0.002, warmupEpochs: 0.5, model: 'vit-micro-p8-56', patchify: { imageSize: 56, patchSize: 8, channels: 1, resize: 'none' } };
const full = pipeline({
  ...common, name: 'cluttered-lth', dataDir: '../.cache/cluttered-fashion-mnist', trainLimit: 7000, testLimit: 2000,
  epochs: 4, selectorEpochs: 12, patience: 3, seeds: [0, 1, 2], shardBytes: 16777216,
  title: 'Data-level lottery tickets on cluttered Fashion-MNIST (cluttered-lth)',
  description: 'Issue 17: the hypothesis where saliency is not free. Fashion-MNIST items on texture photos (make it first: dlth make-cluttered --out .cache/cluttered-fashion-mnist --count 7000 --test-count 2000), 56×56, patch 8. A selector trained until its test accuracy stops improving; one EViT chain per rate r = 0.9/0.8/0.7 (k = 37/26/18); students (a) tickets, (b) fixed random, (b\') per-epoch random, (h) saliency, (p) positions only, (u) untrained-selector tickets, (c) all patches; 3 seeds, same model, schedule and steps; evaluated on their tickets and on all patches. The report states its pass rule before the numbers.',
});
const quick = pipeline({
  ...common, name: 'cluttered-lth-quick', dataDir: '../.cache/cluttered-quick', trainLimit: 256, testLimit: 128,
  epochs: 1, selectorEpochs: 2, patience: 1, seeds: [0, 1], shardBytes: 1048576,
  title: 'Data-level lottery tickets on cluttered Fashion-MNIST (cluttered-lth-quick)',
  description: 'Smoke-test variant of cluttered-lth (same stages and paths, 2 seeds, 1 epoch, 256 / 128 images: make them with dlth make-cluttered --fashion data/fashion-mnist-mini --out .cache/cluttered-quick --count 256 --test-count 128): checks that the experiment runs and writes well-formed outputs, not accuracy.',
});
const plain = pipeline({
  ...common, model: 'vit-micro-p4-28', patchify: { imageSize: 28, patchSize: 4, channels: 1, resize: 'none' },
  name: 'fashion-mnist-controls', dataDir: '/usr/share/datasets/fashion-mnist', trainLimit: 7000, testLimit: 2000,
  epochs: 4, selectorEpochs: 12, patience: 3, seeds: [0, 1, 2], shardBytes: 16777216,
  title: 'The same controls on plain Fashion-MNIST (fashion-mnist-controls)',
  description: "Issue 17's paths and pass rule on plain Fashion-MNIST (black background, where saliency is nearly free): 28×28, patch 4, the first 7,000 / 2,000 images of Debian's dataset-fashion-mnist, the schedule of cluttered-lth, to set beside it.",
});
for (const p of [full, quick, plain]) writeFileSync(new URL(`../pipelines/${p.name}.json`, import.meta.url), `${JSON.stringify(p, null, 2)}\n`);
console.log(`stages: ${full.stages.length} (full), ${quick.stages.length} (quick); k per rate: ${RATES.map((r) => `${r} → ${survivors(r, BLOCKS)}`).join(', ')}`);
