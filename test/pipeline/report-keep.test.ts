/** The report's kept fraction per train run: a reference's keep, a stage's keep, else the run's recorded k over N. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StageContext } from '../../src/pipeline/context.js';
import type { MaterializeStage, TrainStage } from '../../src/pipeline/types.js';
import { trainKeep } from '../../src/pipeline/stages/report.js';

const materialize: MaterializeStage[] = [
  { kind: 'materialize', name: 'full', policy: 'full', sources: ['train'] },
  { kind: 'materialize', name: 'ticket', policy: 'ticket', sources: ['train'], scores: 'evit', keep: [0.75, 0.5] },
  { kind: 'materialize', name: 'half', policy: 'random', sources: ['train'], keep: 0.5 },
  { kind: 'materialize', name: 'k18', policy: 'ticket', sources: ['train'], scores: 'evit', k: 18 },
  { kind: 'materialize', name: 'rate', policy: 'ticket', sources: ['train'], scores: 'evit', keepFrom: 'evit-rate' },
];
const ctx = {
  patchify: { imageSize: [28, 28], patchSize: 4 },
  loaded: { file: 'p.json' },
  stage: (name: string) => materialize.find((m) => m.name === name) ?? assert.fail(name),
} as unknown as StageContext;
const stage = (train: string, extra: Partial<TrainStage> = {}): TrainStage => ({ kind: 'train', name: 's', model: 'vit-micro-p4-28', train, eval: [], ...extra }) as TrainStage;

test('kept fraction: reference keep, stage keep, full, subset and k-derived datasets', () => {
  assert.equal(trainKeep(ctx, stage('ticket@{keep}/train'), 0.75, 37), 0.75);
  assert.equal(trainKeep(ctx, stage('half/train'), null, 25), 0.5);
  assert.equal(trainKeep(ctx, stage('full/train'), null, 49), 1);
  assert.equal(trainKeep(ctx, stage('full/train', { subset: 18 }), null, 18), 18 / 49);
  assert.equal(trainKeep(ctx, stage('k18/train'), null, 18), 18 / 49);
  // keepFrom: k comes from the EViT rate, known only from the run (it used to be reported as 0)
  assert.equal(trainKeep(ctx, stage('rate/train'), null, 26), 26 / 49);
});
