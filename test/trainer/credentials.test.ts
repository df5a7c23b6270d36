/**
 * `dlth train` from datasets at `http://user:pass@host/…` URLs: the password reaches the server
 * (basic authorization) and nothing else: not stdout or stderr, not summary.json, the run state,
 * metrics.jsonl, timing.jsonl, nor the curves chart (its legend is the evaluation sets' names; a
 * bare URL without a path is named after its host). Locations are recorded as `http://***@host/…`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curvesSvg } from '../../src/trainer/curves.js';
import type { EpochRecord } from '../../src/trainer/history.js';
import { serveDir, type TestServer } from '../loader/server.js';
import { runCli } from '../cli/run-cli.js';
import { makeFashionDataset } from './fixture.js';

const SECRET = 's3cret';
let root = '';
let server: TestServer;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dlth-train-credentials-'));
  server = await serveDir(await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 32 }));
});

after(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

test('train from user:pass@ URLs: the password is in no output, locations are recorded redacted', { timeout: 240_000 }, async () => {
  const url = server.url.replace('http://', `http://user:${SECRET}@`);
  const out = join(root, 'out');
  const r = await runCli([
    'train', '--train', `${url}/auth/`, '--eval', url, '--eval', `named=${url}/auth/`, '--model', 'vit-micro-p4-28',
    '--set', 'dim=16', '--set', 'depth=1', '--set', 'heads=2', '--steps', '2', '--batch-size', '16', '--checkpoint-every', '1', '-o', out,
  ], { timeoutMs: 200_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(server.authorizations.some((a) => a === `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}`), 'the credentials were sent');
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
  const written = files(out);
  for (const name of ['summary.json', 'metrics.jsonl', 'timing.jsonl', join('state', 'state.json'), 'curves.png']) {
    assert.ok(written.includes(join(out, name)), `${name} written`);
  }
  for (const file of written) assert.equal(readFileSync(file).includes(SECRET), false, `${file} holds the password`);
  const history = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochRecord);
  assert.doesNotMatch(curvesSvg(history, 'vit-micro-p4-28'), new RegExp(SECRET), 'the chart legend');
  const host = new URL(server.url).host;
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    datasets: { train: { dirs: string[] }; eval: Record<string, { dirs: string[] }> };
    config: { train: string[]; eval: { name: string; dirs: string[] }[] };
  };
  assert.deepEqual(summary.datasets.train.dirs, [`http://***@${host}/auth/`]);
  assert.deepEqual(summary.config.train, [`http://***@${host}/auth/`]);
  assert.deepEqual(summary.config.eval, [
    { name: '127.0.0.1', dirs: [`http://***@${host}`] },
    { name: 'named', dirs: [`http://***@${host}/auth/`] },
  ]);
  assert.deepEqual(Object.keys(summary.datasets.eval).sort(), ['127.0.0.1', 'named']);
  assert.match(r.stdout, /; 127\.0\.0\.1 [\d.]+% .*, named [\d.]+% /);
});
