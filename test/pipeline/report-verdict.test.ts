/**
 * The pass rule's new parts and the verdict: the margin floor minGap, the dense check (ticket at
 * each keep against the single all-patches cell; above it allowed), failed runs (≤ chance +
 * margin: counted, not averaged in) and paths where chance is expected, validity conditions
 * (minimum accuracies, the pixel-rule recall gap) and undecided cells → "inconclusive".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, formatCell, markdownTable, markFailedRuns, type RunResult } from '../../src/pipeline/report.js';
import { evaluateRule, ruleOutcomeMarkdown, ruleStatement } from '../../src/pipeline/report-rule.js';
import { decideVerdict, failedRunsMarkdown, minAccuracyChecks, ruleGapCheck, verdictLine } from '../../src/pipeline/report-verdict.js';
import type { RecallTable } from '../../src/pipeline/report-recall.js';
import type { ReportRule } from '../../src/pipeline/types.js';

const runs = (path: string, keep: number, accs: number[]): RunResult[] =>
  accs.map((accuracy, seed) => ({ path, keep, k: Math.round(keep * 49), seed, accuracy, chance: 0.1 }));
const K = 18 / 49;

/** A supported experiment at one keep: (a) 60 ± 1, best control 50 ± 1, (p) 20, dense 61 ± 1. */
function experiment(): RunResult[] {
  return [
    ...runs('a', K, [0.59, 0.6, 0.61]), ...runs('h', K, [0.49, 0.5, 0.51]), ...runs('bp', K, [0.45, 0.46, 0.47]),
    ...runs('p', K, [0.2, 0.21, 0.22]), ...runs('c', 1, [0.6, 0.61, 0.62]), ...runs('o', K, [0.85, 0.86, 0.87]),
  ];
}
const RULE: ReportRule = { ticket: 'a', controls: ['h', 'bp'], positionOnly: 'p', dense: 'c', minGap: 0.03, positionGap: 0.1, validity: { minAccuracy: [{ path: 'o', min: 0.8 }] } };

test('minGap floors every margin: a gap of 2.5 points with sd 0.5 fails at minGap 0.03 and holds without it', () => {
  const cells = aggregate([...runs('a', K, [0.5, 0.505, 0.51]), ...runs('h', K, [0.475, 0.48, 0.485])]);
  const rule: ReportRule = { ticket: 'a', controls: ['h'] };
  const without = evaluateRule(rule, cells);
  assert.equal(without.held, true, '2.5 > 2 × 0.5');
  const floored = evaluateRule({ ...rule, minGap: 0.03 }, cells);
  assert.ok(Math.abs((floored.checks[0].margin as number) - 0.03) < 1e-12);
  assert.equal(floored.held, false);
  assert.match(ruleStatement({ ...rule, minGap: 0.03 }).join('\n'), /> max\(2 × the pooled seed standard deviation of these cells, 3\.00 points\)/);
  // the old wording without minGap
  assert.match(ruleStatement(rule).join('\n'), /> 2 × the pooled seed standard deviation of these cells$/m);
});

test('position-only: (a) − (p) > max(margin, minGap, positionGap)', () => {
  const cells = aggregate(experiment());
  const o = evaluateRule(RULE, cells);
  assert.ok(Math.abs((o.checks[0].positionOnly?.threshold as number) - 0.1) < 1e-12);
  const close = aggregate([...experiment().filter((r) => r.path !== 'p'), ...runs('p', K, [0.51, 0.51, 0.51])]);
  assert.equal(evaluateRule(RULE, close).checks[0].positionOnly?.pass, false, '9 points < 10');
});

test('dense: the ticket at each keep against the single keep-1 dense cell; the ticket above dense is allowed, far below it fails', () => {
  const two = [...experiment(), ...runs('a', 26 / 49, [0.62, 0.63, 0.64]), ...runs('h', 26 / 49, [0.5, 0.5, 0.5]), ...runs('bp', 26 / 49, [0.5, 0.5, 0.5]), ...runs('p', 26 / 49, [0.2, 0.2, 0.2])];
  const o = evaluateRule(RULE, aggregate(two));
  assert.deepEqual(o.checks.map((c) => [c.k, c.dense?.keep, c.dense?.pass]), [[26, 1, true], [18, 1, true]]);
  assert.ok(Math.abs((o.checks[0].dense?.gap as number) - (0.61 - 0.63)) < 1e-12, 'dense − ticket, negative: ticket above dense');
  assert.ok(Math.abs((o.checks[1].dense?.margin as number) - 0.03) < 1e-12, 'max(2 × pooled sd 1 point, 3 points)');
  const far = aggregate([...experiment().filter((r) => r.path !== 'c'), ...runs('c', 1, [0.7, 0.71, 0.72])]);
  const f = evaluateRule(RULE, far);
  assert.equal(f.checks[0].dense?.pass, false);
  assert.equal(f.held, false);
  assert.match(verdictLine(decideVerdict(f, minAccuracyChecks(RULE.validity, far))), /^\*\*Verdict: not supported — at kept fraction 0\.367 \(k=18\): c − ticket = 11\.00 ≥ margin 3\.00\*\*$/);
  assert.match(ruleOutcomeMarkdown(RULE, f).join('\n'), /\| dense \| dense − ticket \| margin \| pass \|/);
  assert.match(ruleStatement(RULE).join('\n'), /\*\*c\*\* − \*\*a\*\* < max\(2 × the pooled seed standard deviation of these two cells, 3\.00 points\) \(\*\*a\*\* above \*\*c\*\* is allowed/);
});

test('supported: every check and every validity condition holds', () => {
  const cells = aggregate(experiment());
  const o = evaluateRule(RULE, cells);
  const v = decideVerdict(o, minAccuracyChecks(RULE.validity, cells));
  assert.equal(v.verdict, 'supported');
  assert.match(verdictLine(v), /^\*\*Verdict: supported — every check held at every kept fraction \(k=18\)/);
});

test('a failed run (≤ chance + margin) is counted, not averaged in; on a chance-expected path it is averaged in and marked', () => {
  const results = markFailedRuns([...runs('a', K, [0.6, 0.12, 0.62]), ...runs('p', K, [0.1, 0.1, 0.11]), ...runs('h', K, [0.121, 0.5, 0.5])], 0.02, ['p']);
  assert.deepEqual(results.map((r) => r.status ?? 'ok'), ['ok', 'failed', 'ok', 'at-chance', 'at-chance', 'at-chance', 'ok', 'ok', 'ok']);
  const cells = aggregate(results);
  const a = cells.find((c) => c.path === 'a');
  assert.deepEqual([a?.n, a?.failed, a?.mean.toFixed(4)], [2, 1, '0.6100']);
  const p = cells.find((c) => c.path === 'p');
  assert.deepEqual([p?.n, p?.failed, p?.atChance], [3, 0, 3]);
  assert.equal(formatCell(a as never), '61.00 ± 1.41 (n=2, 1 failed)');
  assert.match(markdownTable(cells, ['a', 'p']), /\| 61\.00 ± 1\.41 \(n=2, 1 failed\) \| 10\.33 ± 0\.58 \(n=3, 3 at chance, expected\) \|/);
  const md = failedRunsMarkdown(results, 0.02).join('\n');
  assert.match(md, /\| a \| 0\.367 \| 18 \| 1 \| 12\.00 \| 10\.00 \| failed, not averaged in \|/);
  assert.match(md, /\| p \| 0\.367 \| 18 \| 2 \| 11\.00 \| 10\.00 \| at chance, expected \|/);
  // no chance known (an old summary without a class count): never failed
  assert.equal(markFailedRuns([{ path: 'a', keep: 1, k: 49, seed: 0, accuracy: 0.1 }])[0].status, undefined);
  // the margin is the rule's
  assert.equal(markFailedRuns(runs('a', K, [0.15]), 0.05)[0].status, 'failed');
});

test('a cell with only failed runs leaves the rule undecided: inconclusive, naming it', () => {
  const results = markFailedRuns([...experiment().filter((r) => r.path !== 'p'), ...runs('p', K, [0.1, 0.1, 0.1])]);
  const cells = aggregate(results);
  assert.equal(cells.find((c) => c.path === 'p')?.n, 0);
  assert.equal(formatCell(cells.find((c) => c.path === 'p') as never), '– (n=0, 3 failed)');
  const o = evaluateRule(RULE, cells);
  assert.deepEqual(o.missing, ['p at kept fraction 0.367: no successful run (3 failed)']);
  const v = decideVerdict(o, minAccuracyChecks(RULE.validity, cells));
  assert.equal(v.verdict, 'inconclusive');
  assert.match(verdictLine(v), /inconclusive — undecided: p at kept fraction 0\.367: no successful run \(3 failed\)/);
  // chance expected there: decided (and the position check holds, 60 − 10 > 10)
  const expected = aggregate(markFailedRuns([...experiment().filter((r) => r.path !== 'p'), ...runs('p', K, [0.1, 0.1, 0.1])], 0.02, ['p']));
  assert.equal(decideVerdict(evaluateRule(RULE, expected), []).verdict, 'supported');
});

test('a missing control, or no pooled sd (single seeds), is inconclusive, not a failed check', () => {
  const noBp = aggregate(experiment().filter((r) => r.path !== 'bp'));
  const o = evaluateRule(RULE, noBp);
  assert.deepEqual(o.missing, ['bp at kept fraction 0.367: no runs']);
  assert.equal(decideVerdict(o, []).verdict, 'inconclusive');
  const single = aggregate(experiment().filter((r) => r.seed === 0));
  const s = evaluateRule(RULE, single);
  assert.match(s.missing.join('\n'), /a pooled sd of a and its controls at kept fraction 0\.367: fewer than 2 successful runs in every cell/);
  assert.equal(decideVerdict(s, []).verdict, 'inconclusive');
});

test('validity: a path under its minimum accuracy, or a pixel rule off random, makes the verdict inconclusive with its figure', () => {
  const low = aggregate([...experiment().filter((r) => r.path !== 'o'), ...runs('o', K, [0.7, 0.72, 0.74])]);
  const checks = minAccuracyChecks(RULE.validity, low);
  assert.deepEqual(checks.map((c) => [c.pass, c.detail]), [[false, 'o: 72.00% < 80.00% (n=3)']]);
  const v = decideVerdict(evaluateRule(RULE, low), checks);
  assert.equal(v.verdict, 'inconclusive');
  assert.equal(verdictLine(v), '**Verdict: inconclusive — validity: o: 72.00% < 80.00% (n=3)**');
  // a validity path without runs fails too
  assert.deepEqual(minAccuracyChecks({ minAccuracy: [{ path: 'zz', min: 0.5 }] }, low).map((c) => c.detail), ['zz: no runs']);
  const table: RecallTable = {
    masks: { file: 'm', count: 1, size: [49, 49], sha256: 'x' }, images: 1, n: 49, objectPatches: 16, ks: [18], rows: [],
    worstRuleGap: { gap: 0.045, rule: 'std, highest', k: 18 },
  };
  const g = ruleGapCheck(table, 0.03);
  assert.equal(g.pass, false);
  assert.equal(g.detail, 'largest |pixel rule − random| 4.50 points (std, highest, k = 18) > 3.00');
  const cells = aggregate(experiment());
  assert.equal(decideVerdict(evaluateRule(RULE, cells), [...minAccuracyChecks(RULE.validity, cells), g]).verdict, 'inconclusive');
  assert.equal(ruleGapCheck({ ...table, worstRuleGap: { gap: 0.01, rule: 'mean, lowest', k: 18 } }, 0.03).pass, true);
  assert.match(ruleStatement(RULE, 0.03).join('\n'), /within ±3\.00 points of random \(k \/ N\) at every k used/);
});
