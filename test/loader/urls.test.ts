/**
 * Every command that reads a dataset takes an http(s) URL like a directory: `dlth verify`,
 * `inspect`, `preview` and `train --train/--eval`, through the real CLI against a server on
 * 127.0.0.1 (test/loader/server.ts). Failures name the URL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseEvalFlag, datasetLocation } from '../../src/cli/train.js';
import { serveDir, type TestServer } from './server.js';
import { tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI, asynchronously (the server answers from this process's event loop). */
async function dlth(...args: string[]): Promise<Result> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, timeout: 240_000, env: { ...process.env, DLTH_BACKEND: 'cpu' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// Policy ticket: the helper's rows carry finite scores, which verify requires of tickets (NaN of random).
const meta = { ...ticketMeta({ image: 28, patch: 4, channels: 1, k: 16 }), policy: 'ticket' as const };
let dir = '';
let server: TestServer;

before(async () => {
  dir = join(await tempDir('dlth-urls-'), 'tickets');
  await writeDataset(dir, meta, ticketRows(meta, 40), 4_000);
  server = await serveDir(dir);
});

after(async () => server.close());

test('dlth verify <url> checks the served dataset like the directory', { timeout: 240_000 }, async () => {
  const [remote, local] = await Promise.all([dlth('verify', `${server.url}/ok/`), dlth('verify', dir)]);
  assert.equal(remote.code, 0, remote.stderr);
  assert.match(remote.stdout, new RegExp(`^ok: ${server.url}/ok/: tickets, 40 rows in \\d+ shards`));
  assert.equal(remote.stdout.split(', ').slice(1).join(), local.stdout.split(', ').slice(1).join(), 'same rows, shards, bytes and fingerprint');
  const shard = join(dir, 'shard-00001.arrow');
  const good = await readFile(shard);
  const bad = Buffer.from(good);
  bad[bad.length >> 1] ^= 0xff;
  await writeFile(shard, bad);
  try {
    const r = await dlth('verify', `${server.url}/ok`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`${server.url}/ok/shard-00001\\.arrow: .*sha256`));
  } finally {
    await writeFile(shard, good);
  }
});

test('dlth inspect <url> --json summarises the served dataset', { timeout: 240_000 }, async () => {
  const [remote, local] = await Promise.all([dlth('inspect', `${server.url}/ok/`, '--json'), dlth('inspect', dir, '--json')]);
  assert.equal(remote.code, 0, remote.stderr);
  const r = JSON.parse(remote.stdout) as Record<string, unknown>;
  const l = JSON.parse(local.stdout) as Record<string, unknown>;
  assert.equal(r.dir, `${server.url}/ok/`);
  assert.deepEqual({ ...r, dir: '' }, { ...l, dir: '' });
  const missing = await dlth('inspect', `${server.url}/ok/nothing/`);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /\/ok\/nothing\/manifest\.json: HTTP 404/);
});

test('dlth preview <url> writes the same sheet as for the directory', { timeout: 240_000 }, async () => {
  const out = await tempDir('dlth-urls-preview-');
  const [remote, local] = await Promise.all([
    dlth('preview', `${server.url}/ok/`, '-n', '9', '-o', join(out, 'remote.png')),
    dlth('preview', dir, '-n', '9', '-o', join(out, 'local.png')),
  ]);
  assert.equal(remote.code, 0, remote.stderr);
  assert.equal(local.code, 0, local.stderr);
  assert.match(remote.stdout, /9 images/);
  // Same layout (the title differs: the last path component, "ok" vs "tickets").
  assert.equal(remote.stdout.split(' → ')[0], local.stdout.split(' → ')[0]);
  assert.deepEqual([...(await readFile(join(out, 'remote.png'))).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('dlth train --train <url> --eval name=<url> trains from a served dataset', { timeout: 480_000 }, async () => {
  const out = await tempDir('dlth-urls-train-');
  const url = `${server.url}/ok/`;
  const r = await dlth('train', '--train', url, '--eval', `test=${url}`, '--eval', url, '--model', 'vit-micro-p4-28', '--set', 'depth=1',
    '--steps', '2', '--batch-size', '8', '-o', out, '-q', '--backend', 'cpu');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /, 2 steps, /);
  assert.match(r.stdout, /; test [\d.]+% \(best [^)]*\), ok [\d.]+% /, 'both evaluation sets ran (the bare URL is named after its last path component)');
});

test('train flags keep URLs as given and resolve directories', () => {
  assert.equal(datasetLocation('https://host/data/t1'), 'https://host/data/t1');
  assert.equal(datasetLocation('data/t1'), resolve('data/t1'));
  const bare = parseEvalFlag('http://h:8/a/test-set/');
  assert.deepEqual([bare.name, bare.dir.target], ['test-set', 'http://h:8/a/test-set/']);
  const named = parseEvalFlag('held=https://h/x?y=1');
  assert.deepEqual([named.name, named.dir.target], ['held', 'https://h/x?y=1']);
  const local = parseEvalFlag('runs/ticket-test/');
  assert.deepEqual([local.name, local.dir.target], ['ticket-test', resolve('runs/ticket-test/')]);
});
