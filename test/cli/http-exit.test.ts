/**
 * HTTP through the real CLI, against a local server on 127.0.0.1 that trickles one byte every
 * 50 ms: `dlth stream` fails the minimum rate with exit 5, honours SIGTERM within seconds during
 * the read (exit 130), and never prints the password of a `user:pass@` URL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveDir, type TestServer } from '../loader/server.js';
import { ticketMeta, ticketRows, writeDataset } from '../loader/helpers.js';
import { runCli } from './run-cli.js';

let dir = '';
let server: TestServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dlth-http-exit-'));
  const meta = ticketMeta();
  await writeDataset(join(dir, 'ds'), meta, ticketRows(meta, 40));
  server = await serveDir(join(dir, 'ds'));
});

after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('stream from a trickling server: exit 5 at the minimum rate, one line naming the shard', async () => {
  const r = await runCli(['stream', `${server.url}/trickle/`, '--timeout', '2', '--min-rate', '1024', '-q'], { timeoutMs: 30_000 });
  assert.equal(r.killed, false, r.stderr);
  assert.equal(r.code, 5, r.stderr);
  assert.deepEqual(r.lines.length, 1, r.stderr);
  assert.match(r.lines[0], /^dlth: error: http:\/\/127\.0\.0\.1:\d+\/trickle\/shard-\d{5}\.arrow: transfer too slow: /);
});

test('stream from a trickling server: SIGTERM during the read ends it within seconds, exit 130', async () => {
  let pid = 0;
  const running = runCli(['stream', `${server.url}/trickle/`, '--timeout', '600', '--min-rate', '0', '-q'], { timeoutMs: 30_000, started: (p) => (pid = p) });
  // Long enough for the manifest and the first shard request to be under way.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const signalled = Date.now();
  process.kill(pid, 'SIGTERM');
  const r = await running;
  assert.equal(r.killed, false, r.stderr);
  assert.equal(r.code, 130, r.stderr);
  assert.ok(Date.now() - signalled < 5000, `${Date.now() - signalled} ms after SIGTERM`);
  assert.match(r.stderr, /dlth: error: stopped \(SIGTERM\)/);
});

test('a user:pass@ URL: the password is never printed (inspect; a wrong password → HTTP 401, exit 4)', async () => {
  const url = server.url.replace('http://', 'http://user:wrong-pass@');
  const r = await runCli(['inspect', `${url}/auth/`], { timeoutMs: 30_000 });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.lines[0], /^dlth: error: http:\/\/\*\*\*@127\.0\.0\.1:\d+\/auth\/manifest\.json: HTTP 401 Unauthorized/);
  assert.doesNotMatch(r.stderr + r.stdout, /wrong-pass/);
  const ok = await runCli(['inspect', `${server.url.replace('http://', 'http://user:s3cret@')}/auth/`], { timeoutMs: 30_000 });
  assert.equal(ok.code, 0, ok.stderr);
  assert.doesNotMatch(ok.stderr + ok.stdout, /s3cret/);
});
