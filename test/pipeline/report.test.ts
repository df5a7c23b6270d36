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
