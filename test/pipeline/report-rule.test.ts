/** The pass rule of the report: pooled seed sd, the controls margin, the position-only gap, the verdict. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, type RunResult } from '../../src/pipeline/report.js';
import { evaluateRule, pooledSd, ruleOutcomeMarkdown, ruleStatement } from '../../src/pipeline/report-rule.js';

const runs = (path: string, keep: number, accs: number[]): RunResult[] => accs.map((accuracy, seed) => ({ path, keep, k: Math.round(keep * 49), seed, accuracy }));
const rule = { ticket: 'a', controls: ['h', 'bp'], positionOnly: 'p' };

test('pooled sd: sqrt(Σ(n−1)s² / Σ(n−1)); null without degrees of freedom', () => {
  const cells = aggregate([...runs('x', 1, [0.5, 0.7]), ...runs('y', 1, [0.1, 0.2, 0.3])]);
  assert.ok(Math.abs((pooledSd(cells) as number) - Math.sqrt((1 * 0.02 + 2 * 0.01) / 3)) < 1e-12);
  assert.equal(pooledSd(aggregate(runs('x', 1, [0.5]))), null);
});

test('holds when the ticket path beats every control by 2 pooled sd at every keep and positions alone trail', () => {
  const cells = aggregate([
    ...runs('a', 0.5, [0.80, 0.81, 0.82]), ...runs('h', 0.5, [0.70, 0.71, 0.72]), ...runs('bp', 0.5, [0.74, 0.75, 0.76]), ...runs('p', 0.5, [0.3, 0.31, 0.32]),
    ...runs('a', 0.75, [0.85, 0.86, 0.87]), ...runs('h', 0.75, [0.80, 0.81, 0.82]), ...runs('bp', 0.75, [0.79, 0.80, 0.81]), ...runs('p', 0.75, [0.3, 0.3, 0.3]),
  ]);
  const o = evaluateRule(rule, cells);
  assert.equal(o.held, true);
  assert.deepEqual(o.checks.map((c) => c.keep), [0.75, 0.5]);
  assert.equal(o.checks[1].control?.path, 'bp');
  assert.match(ruleOutcomeMarkdown(rule, o).join('\n'), /\*\*The rule held\.\*\*/);
  assert.match(ruleStatement(rule).join('\n'), /\*\*a\*\* − max\(\*\*h\*\*, \*\*bp\*\*\) > 2 × the pooled seed standard deviation/);
});

test('fails on a gap inside the noise, a missing control, positions that predict as well, or a single seed', () => {
  const base = [...runs('h', 0.5, [0.70, 0.75, 0.80]), ...runs('bp', 0.5, [0.7, 0.7, 0.7]), ...runs('p', 0.5, [0.2, 0.2, 0.2])];
  assert.equal(evaluateRule(rule, aggregate([...runs('a', 0.5, [0.78, 0.80, 0.82]), ...base])).held, false); // 5 points < 2 × pooled sd
  assert.equal(evaluateRule(rule, aggregate([...runs('a', 0.5, [0.99, 0.99, 0.99]), ...base.filter((r) => r.path !== 'bp')])).held, false);
  const pos = evaluateRule(rule, aggregate([...runs('a', 0.5, [0.99, 0.99, 0.99]), ...base.filter((r) => r.path !== 'p'), ...runs('p', 0.5, [0.97, 0.97, 0.97])]));
  assert.deepEqual([pos.checks[0].controlsPass, pos.checks[0].positionOnly?.pass, pos.held], [true, false, false]);
  assert.equal(evaluateRule(rule, aggregate([...runs('a', 0.5, [0.99]), ...runs('h', 0.5, [0.1]), ...runs('bp', 0.5, [0.1]), ...runs('p', 0.5, [0.1])])).held, false);
  assert.equal(evaluateRule(rule, []).held, false);
});
