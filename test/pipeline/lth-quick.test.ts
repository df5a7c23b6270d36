/**
 * Smoke test of the experiment (issue 7): the quick variant of pipelines/fashion-mnist-lth.json
 * runs end to end through the CLI and writes well-formed outputs. Accuracy is not asserted here;
 * docs/results/ holds the full run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyDataset } from '../../src/shards/verify.js';

const out = mkdtempSync(join(tmpdir(), 'dlth-lth-quick-'));
const keeps = ['0.75', '0.5', '0.35'];

function runQuick(): string {
  return execFileSync(process.execPath, ['bin/dlth.js', 'run', 'pipelines/fashion-mnist-lth-quick.json', '--out', out, '-q'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DLTH_QUIET: '1' },
  });
}

test('the quick experiment runs end to end and writes a well-formed report', { timeout: 600_000 }, async () => {
  const stdout = runQuick();
  assert.match(stdout, /8 stages \(8 ran, 0 reused\)/);

  for (const keep of keeps) {
    for (const policy of ['ticket', 'random']) {
      for (const split of ['train', 'test']) {
        const v = await verifyDataset(join(out, 'datasets', `${policy}@${keep}`, split));
        assert.equal(v.rows, split === 'train' ? 1000 : 500, `${policy}@${keep}/${split}`);
      }
    }
    for (const split of ['train', 'test']) assert.ok(existsSync(join(out, 'previews', `ticket@${keep}-${split}.png`)));
  }

  const dir = join(out, 'reports', 'report');
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { results: { path: string; keep: number; k: number; seed: number; accuracy: number }[] };
  // 3 keeps × 2 seeds × paths (a), (b), (b'), plus 2 seeds of (c).
  assert.equal(results.results.length, 3 * 2 * 3 + 2);
  for (const r of results.results) {
    assert.ok(r.accuracy >= 0 && r.accuracy <= 1, `${r.path}: accuracy ${r.accuracy}`);
    assert.equal(r.k, r.keep === 1 ? 49 : Math.ceil(r.keep * 49 - 1e-9));
  }
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  for (const row of ['| 1 (k=49) |', '| 0.75 (k=37) |', '| 0.5 (k=25) |', '| 0.35 (k=18) |']) assert.ok(md.includes(row), row);
  const png = readFileSync(join(dir, 'accuracy.png'));
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');

  for (const run of ['dense/seed-0', 'student-ticket@0.5/seed-1', 'student-random@0.35/seed-0']) {
    const summary = JSON.parse(readFileSync(join(out, 'models', run, 'summary.json'), 'utf8')) as { steps: number };
    assert.equal(summary.steps, 10, `${run}: same optimizer step count on every path`);
    assert.ok(existsSync(join(out, 'models', run, 'model.safetensors')));
    assert.ok(existsSync(join(out, 'models', run, 'curves.png')));
  }

  // Rerunning the same command reuses every stage.
  assert.match(runQuick(), /8 stages \(0 ran, 8 reused\)/);
});
