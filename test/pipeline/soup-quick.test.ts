/**
 * CI variant of the decisive experiment (issue 26): patch-soup data made by `dlth make-cluttered
 * --background soup` from the embedded Fashion-MNIST subset, then pipelines/soup-lth-quick.json end
 * to end through the CLI with `--jobs 2`. Checks the outputs (every path and control, the validation
 * split carved from the training file, the same optimizer steps on every student, the verdict and
 * the pass rule before the numbers, the object recall of every policy), not accuracy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyDataset } from '../../src/shards/verify.js';
import { openDataset } from '../../src/shards/reader.js';
import { ticketRows } from '../../src/shards/rows.js';

const root = mkdtempSync(join(tmpdir(), 'dlth-soup-quick-'));
const out = join(root, 'out');
const dlth = (...args: string[]): string =>
  execFileSync(process.execPath, [resolve('bin/dlth.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DLTH_QUIET: '1' } });

type Json = Record<string, unknown>;

/** The committed quick pipeline, with its data paths pointed at freshly generated soup. */
function pipelineFile(): { file: string; pipeline: Json } {
  const data = join(root, 'data');
  dlth('make-cluttered', '--background', 'soup', '--fashion', 'data/fashion-mnist-mini', '--out', data, '--count', '512', '--test-count', '256');
  const text = readFileSync('pipelines/soup-lth-quick.json', 'utf8').replaceAll('../.cache/soup-quick', data);
  const p = JSON.parse(text) as Json;
  p.$schema = resolve('schemas/pipeline.schema.json');
  const file = join(root, 'soup-lth-quick.json');
  writeFileSync(file, JSON.stringify(p));
  return { file, pipeline: p };
}

interface Summary {
  steps: number;
  stoppedEarly: boolean;
  eval: Record<string, { final: { acc: number } }>;
  datasets: { train: { k: number; policy: string; rows: number } };
  config: { subset: number | null; content: string; stopWhen: unknown; seed: number };
}
const summary = (run: string): Summary => JSON.parse(readFileSync(join(out, 'models', run, 'summary.json'), 'utf8')) as Summary;

test('the quick soup experiment runs end to end: every control, a validation split, one step count, a verdict before the numbers', { timeout: 900_000 }, async () => {
  const { file } = pipelineFile();
  assert.match(dlth('run', file, '--out', out, '--jobs', '2', '--threads', '1', '-q'), /24 stages \(24 ran, 0 reused\)/);

  // The validation split is carved from the training file: ids continue where training stops.
  for (const [split, rows, first, last] of [['train', 448, 'train/00000', 'train/00447'], ['val', 64, 'train/00448', 'train/00511'], ['test', 256, 'test/00000', 'test/00255']] as const) {
    const dir = join(out, 'datasets', 'full', split);
    assert.equal((await verifyDataset(dir)).rows, rows, `full/${split}`);
    const ids: string[] = [];
    for await (const row of ticketRows(await openDataset(dir))) ids.push(row.id);
    assert.deepEqual([ids[0], ids.at(-1)], [first, last], `full/${split}: its range of the file`);
  }
  for (const policy of ['ticket', 'uticket', 'saliency', 'prior', 'oracle', 'random']) {
    const name = policy === 'random' ? 'random-r70-s0' : `${policy}-r70`;
    for (const split of ['train', 'test']) {
      const v = await verifyDataset(join(out, 'datasets', name, split));
      assert.equal(v.rows, split === 'train' ? 448 : 256, `${name}/${split}`);
    }
  }
  assert.ok(existsSync(join(out, 'previews', 'oracle-r70-test.png')));

  const steps = summary('dense/seed-0').steps;
  assert.equal(steps, 14, '448 images at batch 32, 1 epoch');
  for (const path of ['a', 'bp', 'h', 'q', 'o', 'p', 'u']) {
    for (const seed of [0, 1, 2]) {
      const s = summary(`${path}-r70/seed-${seed}`);
      assert.equal(s.steps, steps, `${path}-r70 seed ${seed}: the same optimizer steps on every path`);
      assert.equal(s.datasets.train.k, 18);
    }
  }
  for (const seed of [0, 1, 2]) assert.equal(summary(`b-r70-s${seed}/seed-${seed}`).datasets.train.policy, 'random');
  assert.equal(summary('bp-r70/seed-0').config.subset, 18);
  assert.equal(summary('p-r70/seed-0').config.content, 'mean');
  assert.deepEqual(summary('selector/seed-0').config.stopWhen, { eval: 'full/val', patience: 1 });
  assert.ok(summary('selector/seed-0').eval['full/val'], 'the selector is evaluated on the validation split');

  // The verdict comes first, then the rule as written, then the numbers; verdict.json says the same.
  const dir = join(out, 'reports', 'report');
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  const at = (s: string): number => md.indexOf(s);
  assert.match(md.split('\n')[2] ?? '', /^\*\*Verdict: (supported|not supported|inconclusive)/, 'the verdict is the first line after the title');
  assert.ok(at('## Pass rule (fixed before the runs)') > 0 && at('## Pass rule (fixed before the runs)') < at('## Accuracy'), 'the rule is stated before the numbers');
  assert.ok(at('## Validity') > at('## Accuracy') && at('## Object recall per policy') > 0);
  const verdict = JSON.parse(readFileSync(join(dir, 'verdict.json'), 'utf8')) as { verdict: string; reasons: string[]; validity: unknown[]; recall: { rows: { policy: string }[] } };
  assert.ok(['supported', 'not supported', 'inconclusive'].includes(verdict.verdict));
  if (verdict.verdict === 'inconclusive') assert.ok(verdict.reasons.length > 0, 'an inconclusive verdict names what failed');
  const policies = verdict.recall.rows.map((r) => r.policy);
  for (const p of ['(a) EViT tickets', '(u) untrained-selector tickets', '(h) saliency', '(q) positional prior', '(o) oracle', '(b) random']) {
    assert.ok(policies.some((name) => name.startsWith(p)), `recall of ${p}`);
  }
  for (const f of ['accuracy.png', 'recall-preview.png']) assert.equal(readFileSync(join(dir, f)).subarray(1, 4).toString('latin1'), 'PNG', f);
});
