import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, markdownTable, std, accuracyChart } from '../../src/pipeline/report.js';

test('std is the sample standard deviation', () => {
  assert.equal(std([1]), 0);
  assert.ok(Math.abs(std([1, 2, 3, 4]) - 1.2909944487) < 1e-9);
});

test('aggregate groups by path and keep; the table lists every cell', () => {
  const cells = aggregate([
    { path: 'a', keep: 0.5, k: 25, seed: 0, accuracy: 0.8 },
    { path: 'a', keep: 0.5, k: 25, seed: 1, accuracy: 0.82 },
    { path: 'b', keep: 0.5, k: 25, seed: 0, accuracy: 0.7 },
    { path: 'c', keep: 1, k: 49, seed: 0, accuracy: 0.9 },
  ]);
  assert.equal(cells.length, 3);
  const a = cells.find((c) => c.path === 'a');
  assert.ok(a && Math.abs(a.mean - 0.81) < 1e-12 && a.n === 2);
  const table = markdownTable(cells, ['a', 'b', 'c']);
  assert.match(table, /\| 1 \(k=49\) \| – \| – \| 90\.00 ± 0\.00 \(n=1\) \|/);
  assert.match(table, /\| 0\.5 \(k=25\) \| 81\.00 ± 1\.41 \(n=2\) \| 70\.00 ± 0\.00 \(n=1\) \| – \|/);
  assert.match(accuracyChart('t', cells, ['a', 'b', 'c']), /<svg/);
});

test('chart: paths of one style group share a colour, paths evaluated on all patches are dotted, beyond ten paths no colour repeats', () => {
  const labels = Array.from({ length: 13 }, (_, i) => `p${i}`);
  const cells = aggregate(labels.map((path, i) => ({ path, keep: 0.5, k: 25, seed: 0, accuracy: 0.5 + i / 100 })));
  const styles = new Map(labels.map((l, i) => [l, { group: i === 12 ? 'p0' : l, dotted: i === 12 }]));
  const svg = accuracyChart('t', cells, labels, styles);
  const fills = [...svg.matchAll(/<circle [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  assert.equal(fills.length, 13);
  assert.equal(new Set(fills.slice(0, 12)).size, 12, 'twelve groups, twelve colours');
  assert.equal(fills[12], fills[0], 'p12 shares p0\'s group and colour');
  assert.equal([...svg.matchAll(/stroke-dasharray="2 3"/g)].length, 1, 'p12 dotted (one point per path: only its legend entry has a line)');
});
