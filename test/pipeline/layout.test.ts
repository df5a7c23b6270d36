/**
 * The run directory's layout (src/pipeline/layout.ts) and what each stage kind's descriptor says it
 * writes: the paths completion markers list, pinned so a refactoring cannot move an output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContext } from '../../src/pipeline/context.js';
import { datasetPath, modelPath, previewPath, reportPath, scoresPath } from '../../src/pipeline/layout.js';
import { stageDescriptors } from '../../src/pipeline/stages/index.js';
import type { LoadedPipeline, MaterializeStage, ReportStage, ScoreStage, TrainStage } from '../../src/pipeline/types.js';

test('layout: one builder per output path', () => {
  assert.equal(datasetPath('full', null, 'train'), 'datasets/full/train');
  assert.equal(datasetPath('ticket', 0.35000000000000003, 'test'), 'datasets/ticket@0.35/test');
  assert.equal(scoresPath('evit', 'train'), 'scores/evit/train');
  assert.equal(modelPath('student', 0.5, 1), 'models/student@0.5/seed-1');
  assert.equal(modelPath('dense', null, 0), 'models/dense/seed-0');
  assert.equal(previewPath('ticket', 0.5, 'train'), 'previews/ticket@0.5-train.png');
  assert.equal(previewPath('random', null, 'test'), 'previews/random-test.png');
  assert.equal(reportPath('report'), 'reports/report');
});

const ticket: MaterializeStage = { kind: 'materialize', name: 'ticket', policy: 'ticket', scores: 'evit', keep: [0.5, 0.25], sources: ['train', 'test'] };
const full: MaterializeStage = { kind: 'materialize', name: 'full', policy: 'full', sources: ['train'] };
const score: ScoreStage = { kind: 'score', name: 'evit', selector: { checkpoint: 'm.safetensors' }, sources: ['train', 'test'] };
const train: TrainStage = { kind: 'train', name: 'st', model: 'vit-micro-p4-28', train: 'ticket@{keep}/train', keep: [0.5], seeds: [0, 1] };
const report: ReportStage = { kind: 'report', name: 'r', paths: [{ label: 'a', train: 'st', eval: 'ticket@{keep}/test' }] };

function context(worker: { index: number; count: number } | null) {
  const loaded: LoadedPipeline = {
    file: '/p/p.json',
    dir: '/p',
    pipeline: { name: 'p', seed: 3, sources: {}, patchify: { imageSize: 28, patchSize: 4, channels: 1 }, stages: [full, score, ticket, train, report] },
  };
  return createContext(loaded, { out: '/run', worker, quiet: true, log: () => undefined });
}

test('descriptors: what each stage kind writes, in its marker\'s order', () => {
  const ctx = context(null);
  const show = (outputs: { kind: string; path: string }[]) => outputs.map((o) => `${o.kind} ${o.path}`);
  assert.deepEqual(show(stageDescriptors.materialize.outputs(ctx, ticket)), [
    'dataset datasets/ticket@0.5/train', 'file previews/ticket@0.5-train.png',
    'dataset datasets/ticket@0.5/test', 'file previews/ticket@0.5-test.png',
    'dataset datasets/ticket@0.25/train', 'file previews/ticket@0.25-train.png',
    'dataset datasets/ticket@0.25/test', 'file previews/ticket@0.25-test.png',
  ]);
  assert.deepEqual(show(stageDescriptors.materialize.outputs(ctx, full)), ['dataset datasets/full/train'], 'policy full: no preview');
  assert.deepEqual(show(stageDescriptors.materialize.outputs(ctx, { ...ticket, preview: false, keep: 0.5 })), ['dataset datasets/ticket/train', 'dataset datasets/ticket/test']);
  assert.deepEqual(show(stageDescriptors.score.outputs(ctx, score)), ['dataset scores/evit/train', 'dataset scores/evit/test']);
  assert.deepEqual(show(stageDescriptors.train.outputs(ctx, train)), ['directory models/st@0.5/seed-0', 'directory models/st@0.5/seed-1']);
  assert.deepEqual(show(stageDescriptors.report.outputs(ctx, report)), ['file reports/r/report.md', 'file reports/r/accuracy.png', 'file reports/r/results.json']);
  assert.equal(stageDescriptors.report.home?.(ctx, report), 'reports/r');
});

test('descriptors: a worker writes its datasets only (previews come with the whole run), and only partitioned kinds run there', () => {
  const ctx = context({ index: 0, count: 2 });
  assert.deepEqual(stageDescriptors.materialize.outputs(ctx, ticket).map((o) => o.kind), ['dataset', 'dataset', 'dataset', 'dataset']);
  const partitioned = Object.values(stageDescriptors).filter((d) => d.partitioned).map((d) => d.kind).sort();
  assert.deepEqual(partitioned, ['materialize', 'score']);
});
