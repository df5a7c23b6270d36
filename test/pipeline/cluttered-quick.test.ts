/**
 * Smoke test of the cluttered experiment (issue 17): cluttered data made by dlth make-cluttered
 * from the embedded Fashion-MNIST subset, then pipelines/cluttered-lth-quick.json end to end
 * through the CLI. Checks the outputs (every path, both evaluations, the controls' options, the
 * pass rule written before the numbers), not accuracy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyDataset } from '../../src/shards/verify.js';

const root = mkdtempSync(join(tmpdir(), 'dlth-cluttered-quick-'));
const out = join(root, 'out');
const dlth = (...args: string[]): string =>
  execFileSync(process.execPath, [resolve('bin/dlth.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DLTH_QUIET: '1' } });

/** The committed quick pipeline, with its sources pointed at freshly generated data. */
function pipelineFile(): string {
  const data = join(root, 'data');
  dlth('make-cluttered', '--fashion', 'data/fashion-mnist-mini', '--out', data, '--count', '256', '--test-count', '128');
  const p = JSON.parse(readFileSync('pipelines/cluttered-lth-quick.json', 'utf8')) as { $schema: string; sources: Record<string, { dir: string }> };
  for (const s of Object.values(p.sources)) s.dir = data;
  p.$schema = resolve('schemas/pipeline.schema.json');
  const file = join(root, 'cluttered-lth-quick.json');
  writeFileSync(file, JSON.stringify(p));
  return file;
}

interface Summary {
  steps: number;
  epochs: number;
  stoppedEarly: boolean;
  eval: Record<string, { final: { acc: number } }>;
  datasets: { train: { k: number; policy: string } };
  config: { subset: number | null; content: string; stopWhen: unknown };
  evit?: Record<string, Record<string, number>>;
}
const summary = (run: string): Summary => JSON.parse(readFileSync(join(out, 'models', run, 'summary.json'), 'utf8')) as Summary;

test('the quick cluttered experiment runs end to end: every path, both evaluations, a pass rule before the numbers', { timeout: 900_000 }, async () => {
  const file = pipelineFile();
  assert.match(dlth('run', file, '--out', out, '-q'), /46 stages \(46 ran, 0 reused\)/);

  for (const [t, k] of [['r90', 37], ['r80', 26], ['r70', 18]] as const) {
    for (const policy of ['ticket', 'uticket', 'saliency']) {
      for (const split of ['train', 'test']) {
        const v = await verifyDataset(join(out, 'datasets', `${policy}-${t}`, split));
        assert.equal(v.rows, split === 'train' ? 256 : 128);
      }
      assert.ok(existsSync(join(out, 'previews', `${policy}-${t}-test.png`)));
    }
    for (const path of ['a', 'bp', 'h', 'p', 'u']) {
      const s = summary(`${path}-${t}/seed-1`);
      assert.equal(s.steps, 4, `${path}-${t}: the same optimizer steps on every path`);
      assert.equal(s.datasets.train.k, k);
      assert.equal(Object.keys(s.eval).length, path === 'p' ? 1 : 2, `${path}-${t}: evaluated on its tickets and on all patches`);
    }
    assert.equal(summary(`bp-${t}/seed-0`).config.subset, k);
    assert.equal(summary(`p-${t}/seed-0`).config.content, 'mean');
    assert.equal(summary(`b-${t}-s1/seed-1`).datasets.train.policy, 'random');
  }
  assert.deepEqual(summary('selector/seed-0').config.stopWhen, { eval: 'full/test', patience: 1 });
  assert.deepEqual(Object.keys(summary('selector/seed-0').evit?.['full/test'] ?? {}), ['0.9', '0.8', '0.7']);
  assert.equal(summary('dense/seed-1').steps, 4);

  const dir = join(out, 'reports', 'report');
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  const [rule, table, outcome] = ['## Pass rule (fixed before the runs)', '| kept fraction (k) |', '## Pass rule: outcome'].map((s) => md.indexOf(s));
  assert.ok(rule > 0 && rule < table && table < outcome, 'the rule is stated before the numbers, the outcome after');
  assert.match(md, /\*\*The rule (held|did not hold)\.\*\*/);
  assert.match(md, /## Selector: dense and with EViT pruning[\s\S]*\| selector \| 0 \| full\/test \| \d+ \| (yes|no) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
  for (const row of ['| 1 (k=49) |', '| 0.755 (k=37) |', '| 0.531 (k=26) |', '| 0.367 (k=18) |']) assert.ok(md.includes(row), row);
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: unknown[]; rule: { held: boolean; checks: { keep: number }[] } };
  // per rate: 2 seeds × (a, b, b', h, p, u on tickets; a, b, b', h, u on all patches); plus (c) × 2 and the selector
  assert.equal(results.results.length, 3 * 2 * 11 + 2 + 1);
  assert.equal(results.rule.checks.length, 3);
  assert.equal(typeof results.rule.held, 'boolean');
  assert.equal(readFileSync(join(dir, 'accuracy.png')).subarray(1, 4).toString('latin1'), 'PNG');
});
