/** Pipeline fields of the experiment's controls: the untrained selector, train subset / positionsOnly / stopWhen / evalEvery, the saliency policy, the report rule. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validatePipeline } from '../../src/pipeline/validate.js';
import { PipelineError } from '../../src/util/errors.js';

type Json = Record<string, unknown>;
const base = (): Json => JSON.parse(readFileSync('pipelines/cluttered-lth-quick.json', 'utf8')) as Json;
const stage = (p: Json, name: string): Json => (p.stages as Json[]).find((s) => s.name === name) as Json;

function invalid(mutate: (p: Json) => void, message: RegExp): void {
  const p = base();
  mutate(p);
  assert.throws(() => validatePipeline(p, 'x.json'), (e: unknown) => e instanceof PipelineError && message.test(e.message));
}

test('the quick experiment uses every control field and validates', () => {
  const p = validatePipeline(base(), 'x.json');
  const kinds = p.stages.map((s) => s.kind);
  assert.ok(kinds.includes('report') && kinds.includes('score'));
  assert.deepEqual(stage(base(), 'untrained-r70').selector, { init: 'random', model: 'vit-micro-p8-56', seed: 0 });
  assert.equal(stage(base(), 'saliency-r70').policy, 'saliency');
  assert.equal(stage(base(), 'bp-r70').subset, 18);
  assert.equal(stage(base(), 'p-r70').positionsOnly, true);
});

test('train augment keys validate', () => {
  const p = base();
  stage(p, 'a-r70').augment = { colorJitter: [0.4, 0.4, 0.2], reprob: 0.25, remode: 'pixel', recount: 2, mixupAlpha: 0.8, cutmixAlpha: 1, mixProb: 1, switchProb: 0.5 };
  assert.deepEqual((validatePipeline(p, 'x.json').stages.find((s) => s.name === 'a-r70') as unknown as Json).augment, stage(p, 'a-r70').augment);
});

test('bad control fields are refused with the JSON path', () => {
  invalid((p) => void (stage(p, 'untrained-r70').selector = { init: 'random' }), /selector/);
  invalid((p) => void (stage(p, 'untrained-r70').selector = { init: 'trained', model: 'vit-micro-p8-56' }), /selector/);
  invalid((p) => void (stage(p, 'bp-r70').subset = 0), /subset/);
  invalid((p) => void (stage(p, 'p-r70').positionsOnly = 'yes'), /positionsOnly/);
  invalid((p) => void (stage(p, 'selector').stopWhen = { eval: 'full/test' }), /stopWhen/);
  invalid((p) => void (stage(p, 'a-r70').evalEvery = 0), /evalEvery/);
  invalid((p) => void (stage(p, 'saliency-r70').policy = 'salience'), /policy/);
  invalid((p) => void ((stage(p, 'report').rule as Json).controls = []), /controls/);
  invalid((p) => void (stage(p, 'a-r70').augment = { mixupAlpha: -1 }), /augment\.mixupAlpha: expected a number >= 0, got -1/);
  invalid((p) => void (stage(p, 'a-r70').augment = { mixProb: 1.5 }), /augment\.mixProb/);
  invalid((p) => void (stage(p, 'a-r70').augment = { colorJitter: -0.4 }), /augment\.colorJitter/);
  invalid((p) => void (stage(p, 'a-r70').augment = { remode: 'zero' }), /augment\.remode/);
  invalid((p) => void (stage(p, 'a-r70').augment = { hue: 0.1 }), /augment/);
});
