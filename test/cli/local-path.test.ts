/**
 * An option that takes a local path refuses a URL in one line (exit 3) naming the option, with the
 * credentials redacted, instead of resolving `https://user:pass@host/x` to a directory `https:` under
 * the working directory and printing it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localPath } from '../../src/util/local-path.js';
import { InputError } from '../../src/util/errors.js';
import { makeFashionDataset } from '../trainer/fixture.js';
import { runCli } from './run-cli.js';

const URL_WITH_PASSWORD = 'https://user:pw-s3cret@host.example/x';

test('localPath: paths resolve; URLs of any scheme and empty paths are refused, naming the option', () => {
  assert.equal(localPath('--out', 'runs/a'), resolve('runs/a'));
  assert.equal(localPath('--out', 'C:\\runs\\a'), resolve('C:\\runs\\a'));
  assert.equal(localPath('--out', 'odd:name/x'), resolve('odd:name/x'));
  for (const url of [URL_WITH_PASSWORD, 'file:///tmp/x', 's3://bucket/x', ' HTTP://h/x']) {
    assert.throws(() => localPath('--checkpoint', url), (e) => e instanceof InputError && /^--checkpoint takes a local path, not a URL: /.test(e.message) && !/s3cret/.test(e.message), url);
  }
  assert.throws(() => localPath('--out', URL_WITH_PASSWORD), { message: '--out takes a local path, not a URL: "https://***@host.example/x"' });
  assert.throws(() => localPath('--out', '  '), /--out takes a local path, got an empty one/);
});

test('dlth train --out <url> and dlth stream --resume <url>: exit 3, one line naming the option, password redacted', { timeout: 120_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-local-path-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const data = await makeFashionDataset(join(root, 'train'), { split: 'train', rows: 16 });
  const runs = await Promise.all([
    runCli(['train', '--train', data, '--model', 'vit-micro-p4-28', '--set', 'depth=1', '--steps', '1', '--batch-size', '16', '-q', '--out', URL_WITH_PASSWORD], { timeoutMs: 60_000 }),
    runCli(['stream', data, '-q', '--resume', URL_WITH_PASSWORD], { timeoutMs: 60_000 }),
  ]);
  for (const [r, option] of [[runs[0], '--out'], [runs[1], '--resume']] as const) {
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.lines, [`dlth: error: ${option} takes a local path, not a URL: "https://***@host.example/x"`]);
    assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
  }
});
