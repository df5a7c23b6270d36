import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validatePipeline, pointerToPath } from '../../src/pipeline/validate.js';
import { PipelineError } from '../../src/util/errors.js';
import { parseDatasetRef, substituteKeep } from '../../src/pipeline/refs.js';
import type { Pipeline } from '../../src/pipeline/types.js';

const base = (): Pipeline => JSON.parse(readFileSync('pipelines/fashion-mnist.json', 'utf8')) as Pipeline;

function rejects(mutate: (p: Record<string, unknown>) => void, path: string, message: RegExp): void {
  const p = base() as unknown as Record<string, unknown>;
  mutate(p);
  assert.throws(
    () => validatePipeline(p, 'x.json'),
    (err: unknown) => {
      assert.ok(err instanceof PipelineError, `expected PipelineError, got ${String(err)}`);
      assert.equal(err.path, path);
      assert.match(err.message, message);
      assert.match(err.message, /^x\.json: /);
      return true;
    },
  );
}

const stages = (p: Record<string, unknown>): Record<string, unknown>[] => p.stages as Record<string, unknown>[];

test('every committed pipeline validates', () => {
  for (const name of readdirSync('pipelines').filter((f) => f.endsWith('.json'))) {
    const value: unknown = JSON.parse(readFileSync(join('pipelines', name), 'utf8'));
    assert.doesNotThrow(() => validatePipeline(value, name), name);
  }
});

test('JSON pointers become JSON paths', () => {
  assert.equal(pointerToPath(''), '$');
  assert.equal(pointerToPath('/stages/3/keep'), '$.stages[3].keep');
  assert.equal(pointerToPath('/sources/a~1b'), '$.sources["a/b"]');
});

test('unknown keys are named with their path', () => {
  rejects((p) => (p.extra = 1), '$.extra', /unknown key/);
  rejects((p) => (stages(p)[1].epochz = 1), '$.stages[1].epochz', /unknown key/);
  rejects((p) => ((p.sources as Record<string, Record<string, unknown>>).train.dirr = 'x'), '$.sources.train.dirr', /unknown key/);
});

test('wrong types and values name the path and what was expected', () => {
  rejects((p) => (stages(p)[1].batchSize = 'big'), '$.stages[1].batchSize', /expected an integer, got "big"/);
  rejects((p) => (stages(p)[4].keep = 1.5), '$.stages[4].keep', /expected a number <= 1, got 1.5/);
  rejects((p) => (stages(p)[4].keep = 0), '$.stages[4].keep', /expected a number > 0, got 0/);
  rejects((p) => (stages(p)[0].policy = 'best'), '$.stages[0].policy', /expected one of/);
  rejects((p) => ((p.patchify as Record<string, unknown>).channels = 2), '$.patchify.channels', /expected one of/);
  rejects((p) => delete (p as { name?: string }).name, '$', /missing required key "name"/);
});

test('impossible combinations are rejected before any work', () => {
  rejects((p) => ((p.patchify as Record<string, unknown>).patchSize = 5), '$.patchify.patchSize', /does not divide the image size 28×28/);
  rejects((p) => ((p.patchify as Record<string, unknown>).mean = [0.5, 0.5, 0.5]), '$.patchify.mean', /expected 1 values/);
  rejects((p) => (stages(p)[0].keep = 0.5), '$.stages[0].policy', /keeps every patch/);
  rejects((p) => delete stages(p)[4].k, '$.stages[4]', /exactly one of keep, k or keepFrom/);
  rejects((p) => (stages(p)[4].keep = 0.5), '$.stages[4]', /exactly one of/);
  rejects((p) => (stages(p)[4].k = 50), '$.stages[4].k', /exceeds the 49 patches/);
  rejects((p) => (stages(p)[3].scores = 'selector'), '$.stages[3].scores', /earlier score stage/);
  rejects((p) => (stages(p)[2].selector = 'nope'), '$.stages[2].selector', /no earlier train stage/);
  rejects((p) => (stages(p)[5].train = 'ticket/valid'), '$.stages[5].train', /no source "valid"/);
  rejects((p) => (stages(p)[5].train = 'ticket@0.5/train'), '$.stages[5].train', /drop @0.5/);
  rejects((p) => (stages(p)[5].train = 'later/train'), '$.stages[5].train', /no earlier materialize stage/);
  rejects((p) => (stages(p)[5].train = '{keep}'), '$.stages[5].train', /no keep list/);
  rejects((p) => (stages(p)[2].layer = 3), '$.stages[2].layer', /cls-attn/);
  rejects((p) => (stages(p)[6].name = 'student-ticket'), '$.stages[6].name', /duplicate stage name/);
  rejects((p) => (stages(p)[7] = { ...stages(p)[7], paths: [{ label: 'x', train: 'student-ticket', eval: 'full/train' }] }), '$.stages[7].paths[0].eval', /not one of/);
});

test('EViT tickets: a multi-rate score stage needs the materialize stage to name a rate it holds; a k off the chain needs rankPrefix', () => {
  // Base: score stage 2 "evit" at r = 0.8 on blocks [1, 2, 3] of vit-micro-p4-28 (49 → 40 → 32 → 26), ticket stage 3 keepFrom evit-rate.
  const multi = (p: Record<string, unknown>) => (stages(p)[2].rate = [0.9, 0.8, 0.7]);
  rejects(multi, '$.stages[3].rate', /stores chains at rates 0\.9, 0\.8, 0\.7: name the one/);
  rejects((p) => { multi(p); stages(p)[3].rate = 0.6; }, '$.stages[3].rate', /has no chain at rate 0\.6 \(its rates: 0\.9, 0\.8, 0\.7\)/);
  rejects((p) => { delete stages(p)[3].keepFrom; stages(p)[3].keep = 0.5; }, '$.stages[3].keep', /k = 25 is not an EViT ticket: the rate-0\.8 chain of "evit" keeps 26 of 49 patches/);
  rejects((p) => { multi(p); delete stages(p)[3].keepFrom; stages(p)[3].rate = 0.9; stages(p)[3].k = 36; }, '$.stages[3].k', /k = 36 is not an EViT ticket: the rate-0\.9 chain/);
  rejects((p) => (stages(p)[4].rate = 0.8), '$.stages[4].rate', /only policy "ticket" takes rate/);
  rejects((p) => { stages(p)[2].mode = 'cls-attn'; delete stages(p)[2].rate; delete stages(p)[3].keepFrom; stages(p)[3].k = 26; stages(p)[3].rate = 0.8; }, '$.stages[3].rate', /mode "cls-attn", which has no EViT rate/);
  const ok = (mutate: (p: Record<string, unknown>) => void) => {
    const p = base() as unknown as Record<string, unknown>;
    mutate(p);
    assert.doesNotThrow(() => validatePipeline(p, 'x.json'));
  };
  ok((p) => { multi(p); stages(p)[3].rate = 0.7; });
  ok((p) => { multi(p); delete stages(p)[3].keepFrom; stages(p)[3].rate = 0.9; stages(p)[3].k = 37; });
  ok((p) => { delete stages(p)[3].keepFrom; stages(p)[3].keep = 0.5; stages(p)[3].rankPrefix = true; });
  ok((p) => { stages(p)[2].selector = { checkpoint: 'any.safetensors' }; delete stages(p)[2].blocks; delete stages(p)[3].keepFrom; stages(p)[3].keep = 0.5; });
});

test('dataset references parse and substitute keep values', () => {
  assert.deepEqual(parseDatasetRef('ticket@0.35/train'), { stage: 'ticket', keep: 0.35, source: 'train' });
  assert.deepEqual(parseDatasetRef('full/test'), { stage: 'full', keep: null, source: 'test' });
  assert.equal(parseDatasetRef('ticket@2/train'), null);
  assert.equal(parseDatasetRef('../x/train'), null);
  assert.equal(substituteKeep('ticket@{keep}/train', 0.1 + 0.2), 'ticket@0.3/train');
});

test('comparison preprocessing: score stages that decode differently make every non-ticket stage say which it decodes as', () => {
  const withCheckpointScores = (p: Record<string, unknown>): void => {
    stages(p).splice(3, 0, { kind: 'score', name: 'hf', selector: { checkpoint: 'deit/' }, sources: ['train', 'test'] });
  };
  rejects(withCheckpointScores, '$.stages[0]', /score stages decode images differently \(evit: the pipeline's patchify settings; hf: checkpoint deit\/\).*"scores".*"preprocessing": "pipeline"/);
  const picked = base() as unknown as Record<string, unknown>;
  withCheckpointScores(picked);
  for (const i of [0, 5]) stages(picked)[i].preprocessing = 'pipeline';
  assert.doesNotThrow(() => validatePipeline(picked, 'x.json'));
  stages(picked)[5].preprocessing = undefined;
  stages(picked)[5].scores = 'hf';
  assert.doesNotThrow(() => validatePipeline(JSON.parse(JSON.stringify(picked)), 'x.json'));
  rejects((p) => (stages(p)[4].scores = 'nope'), '$.stages[4].scores', /"nope" is not a score stage/);
  rejects((p) => Object.assign(stages(p)[4], { scores: 'evit', preprocessing: 'pipeline' }), '$.stages[4].preprocessing', /not both/);
  rejects((p) => (stages(p)[3].preprocessing = 'pipeline'), '$.stages[3].preprocessing', /decodes as its scores were made/);
});
