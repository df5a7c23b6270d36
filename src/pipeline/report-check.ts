import type { ReportStage } from './types.js';
import { parseDatasetRef } from './refs.js';

/** Checks what the schema cannot: the rule's and validity's labels are the report's path labels, recall references name materialize stages. */
export function checkReportStage(stage: ReportStage): string[] {
  const labels = new Set(stage.paths.map((p) => p.label));
  const rule = stage.rule;
  const named = rule
    ? [['rule.ticket', rule.ticket], ...rule.controls.map((c, i) => [`rule.controls[${i}]`, c]), ['rule.positionOnly', rule.positionOnly], ['rule.dense', rule.dense],
      ...(rule.chanceExpected ?? []).map((c, i) => [`rule.chanceExpected[${i}]`, c]), ...(rule.validity?.minAccuracy ?? []).map((v, i) => [`rule.validity.minAccuracy[${i}].path`, v.path])]
    : [];
  const problems = named.filter((n): n is [string, string] => n[1] !== undefined && !labels.has(n[1])).map(([at, label]) => `${at}: ${JSON.stringify(label)} is not a label of the report's paths`);
  const refs = stage.recall ? [['recall.full', stage.recall.full], ...stage.recall.datasets.map((d, i) => [`recall.datasets[${i}].ref`, d.ref])] : [];
  for (const [at, ref] of refs) if (parseDatasetRef(ref) === null) problems.push(`${at}: ${JSON.stringify(ref)} is not a dataset reference <stage>[@<keep>]/<source>`);
  return problems;
}
