/** Pipeline fields of the mask controls: policy oracle with masks per source, policy prior with priorMasks; refusals name the JSON path; mask paths resolve against the pipeline file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePipeline } from '../../src/pipeline/validate.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import type { MaterializeStage } from '../../src/pipeline/types.js';
import { PipelineError } from '../../src/util/errors.js';

type Json = Record<string, unknown>;
const ORACLE = { kind: 'materialize', name: 'oracle-r70', policy: 'oracle', k: 18, sources: ['train', 'test'], masks: { train: 'soup/train-masks-idx3-ubyte.gz', test: 'soup/t10k-masks-idx3-ubyte.gz' } };
const PRIOR = { kind: 'materialize', name: 'prior-r70', policy: 'prior', k: 18, sources: ['train', 'test'], priorMasks: 'soup/train-masks-idx3-ubyte.gz' };

function base(...extra: Json[]): Json {
  const p = JSON.parse(readFileSync('pipelines/cluttered-lth-quick.json', 'utf8')) as Json;
  (p.stages as Json[]).splice(1, 0, ...extra);
  return p;
}

function invalid(stage: Json, path: string, message: RegExp): void {
  assert.throws(() => validatePipeline(base(stage), 'x.json'), (e: unknown) => e instanceof PipelineError && e.path === path && message.test(e.message));
}

test('oracle and prior stages validate; centre is prior without priorMasks', () => {
  const p = validatePipeline(base(ORACLE, PRIOR, { ...PRIOR, name: 'centre-r70', priorMasks: undefined }), 'x.json');
  assert.deepEqual(p.stages.filter((s) => s.kind === 'materialize').map((s) => (s as MaterializeStage).policy).slice(0, 4), ['full', 'oracle', 'prior', 'prior']);
});

test('mask fields that do not fit the policy or the sources are refused with the JSON path', () => {
  invalid({ ...ORACLE, masks: undefined }, '$.stages[1].masks', /policy "oracle" needs the object masks of each source: add "train": <masks IDX file>, "test": <masks IDX file>/);
  invalid({ ...ORACLE, masks: { train: 'a' } }, '$.stages[1].masks', /add "test"/);
  invalid({ ...ORACLE, masks: { train: 'a', test: 'b', val: 'c' } }, '$.stages[1].masks', /\["val"\] is not among the stage's sources/);
  invalid({ ...ORACLE, masks: { train: 'a', test: '' } }, '$.stages[1].masks.test', /./);
  invalid({ ...PRIOR, policy: 'saliency' }, '$.stages[1].priorMasks', /only policy "prior" takes priorMasks, not "saliency"/);
  invalid({ ...ORACLE, policy: 'random' }, '$.stages[1].masks', /only policy "oracle" takes masks, not "random"/);
  invalid({ ...ORACLE, policy: 'oracles' }, '$.stages[1].policy', /expected one of/);
});

test('relative mask paths resolve against the pipeline file\'s directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-masks-pipeline-'));
  const file = join(dir, 'p.json');
  writeFileSync(file, JSON.stringify(base(ORACLE, { ...PRIOR, priorMasks: '/abs/train-masks' })));
  const loaded = await loadPipeline(file);
  const [oracle, prior] = loaded.pipeline.stages.slice(1, 3) as MaterializeStage[];
  assert.deepEqual(oracle.masks, { train: join(dir, 'soup/train-masks-idx3-ubyte.gz'), test: join(dir, 'soup/t10k-masks-idx3-ubyte.gz') });
  assert.equal(prior.priorMasks, '/abs/train-masks');
});
