/**
 * The report stage's rule and recall in the pipeline schema: the new fields validate (the shape
 * the soup experiment writes), unknown keys and bad values are refused with their JSON path, and
 * the nested interfaces of src/pipeline/types.ts have the schema's keys and required keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { validatePipeline } from '../../src/pipeline/validate.js';
import { schemaPath } from '../../src/util/schemas.js';
import { PipelineError } from '../../src/util/errors.js';
import type { ReportStage } from '../../src/pipeline/types.js';

type Json = Record<string, unknown>;
const RULE = {
  ticket: '(a) tickets → tickets', controls: ["(b') per-epoch random → tickets"], positionOnly: '(p) ticket positions only', dense: '(c) all → all',
  sdMultiplier: 2, minGap: 0.03, positionGap: 0.1, chanceMargin: 0.02, chanceExpected: ['(p) ticket positions only'],
  validity: { minAccuracy: [{ path: '(c) all → all', min: 0.8 }] },
};
const RECALL = { masks: '../.cache/soup/t10k-masks-idx3-ubyte.gz', full: 'full/test', datasets: [{ label: '(a) EViT tickets', ref: 'ticket-r70/test' }], maxRuleGap: 0.03 };

/** cluttered-lth-quick with its report stage's rule and recall replaced. */
function pipeline(rule: unknown = RULE, recall: unknown = RECALL): { p: Json; at: string } {
  const p = JSON.parse(readFileSync('pipelines/cluttered-lth-quick.json', 'utf8')) as Json;
  const stages = p.stages as Json[];
  const i = stages.findIndex((s) => s.kind === 'report');
  stages[i] = { ...stages[i], rule, recall };
  return { p, at: `$.stages[${i}]` };
}

function refused(rule: unknown, recall: unknown, path: string, message: RegExp): void {
  const { p, at } = pipeline(rule, recall);
  assert.throws(() => validatePipeline(p, 'x.json'), (e: unknown) => e instanceof PipelineError && e.path === `${at}${path}` && message.test(e.message), path);
}

test('the new rule fields and the recall option validate', () => {
  const { p } = pipeline();
  const stage = validatePipeline(p, 'x.json').stages.find((s): s is ReportStage => s.kind === 'report');
  assert.equal(stage?.rule?.minGap, 0.03);
  assert.equal(stage?.recall?.datasets[0].ref, 'ticket-r70/test');
  const { p: bare } = pipeline({ ticket: RULE.ticket, controls: RULE.controls }, { masks: 'm', full: 'full/test', datasets: [{ label: 'x', ref: 'full/test' }] });
  assert.doesNotThrow(() => validatePipeline(bare, 'x.json'));
  const { p: unknownLabels } = pipeline({ ticket: 'a', controls: ['b'] }, RECALL);
  assert.throws(() => validatePipeline(unknownLabels, 'x.json'), /rule\.ticket: "a" is not a label of the report's paths; rule\.controls\[0\]: "b" is not a label/);
});

test('unknown keys and bad values in the rule and recall are refused with their JSON path', () => {
  refused({ ...RULE, minGapp: 0.03 }, RECALL, '.rule.minGapp', /unknown key/);
  refused({ ...RULE, validity: { minAccuracy: [{ path: 'a', min: 0.8, max: 1 }] } }, RECALL, '.rule.validity.minAccuracy[0].max', /unknown key/);
  refused({ ...RULE, validity: { recall: {} } }, RECALL, '.rule.validity.recall', /unknown key/);
  refused({ ...RULE, validity: { minAccuracy: [{ path: 'a' }] } }, RECALL, '.rule.validity.minAccuracy[0]', /min/);
  refused({ ...RULE, minGap: 3 }, RECALL, '.rule.minGap', /<= 1/);
  refused({ ...RULE, chanceMargin: -0.1 }, RECALL, '.rule.chanceMargin', />= 0/);
  refused(RULE, { ...RECALL, extra: 1 }, '.recall.extra', /unknown key/);
  refused(RULE, { ...RECALL, datasets: [{ label: 'a', ref: 'ticket-r70/test', k: 18 }] }, '.recall.datasets[0].k', /unknown key/);
  refused(RULE, { ...RECALL, full: 'full' }, '.recall.full', /./);
  refused(RULE, { ...RECALL, datasets: [] }, '.recall.datasets', /./);
  refused(RULE, { masks: 'm', datasets: RECALL.datasets }, '.recall', /full/);
});

interface SchemaObject {
  properties?: Record<string, SchemaObject & { items?: SchemaObject }>;
  required?: string[];
}

test('ReportRule, ReportValidity, ReportMinAccuracy, ReportRecall, ReportRecallDataset: the schema\'s keys and required keys', () => {
  const schema = JSON.parse(readFileSync(schemaPath('pipeline.schema.json'), 'utf8')) as { $defs: Record<string, SchemaObject> };
  const report = schema.$defs.reportStage.properties ?? {};
  const rule = report.rule;
  const recall = report.recall;
  const defs: Record<string, SchemaObject | undefined> = {
    ReportRule: rule,
    ReportValidity: rule.properties?.validity,
    ReportMinAccuracy: rule.properties?.validity?.properties?.minAccuracy?.items,
    ReportRecall: recall,
    ReportRecallDataset: recall.properties?.datasets?.items,
  };
  const sf = ts.createSourceFile('types.ts', readFileSync(new URL('../../src/pipeline/types.ts', import.meta.url), 'utf8'), ts.ScriptTarget.ES2022, true);
  const interfaces = new Map<string, { keys: string[]; required: string[] }>();
  sf.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    const props = node.members.filter(ts.isPropertySignature);
    interfaces.set(node.name.text, { keys: props.map((m) => m.name.getText(sf)).sort(), required: props.filter((m) => !m.questionToken).map((m) => m.name.getText(sf)).sort() });
  });
  for (const [name, def] of Object.entries(defs)) {
    const i = interfaces.get(name);
    assert.ok(i && def, name);
    assert.deepEqual(i.keys, Object.keys(def.properties ?? {}).sort(), `${name}: keys`);
    assert.deepEqual(i.required, [...(def.required ?? [])].sort(), `${name}: required keys`);
  }
});
