/**
 * The engine through the real CLI: two writers on one output (refused at once, naming the holder),
 * a dead holder's lock taken over, reuse of a finished dataset, refusal and atomic replacement of
 * one of another configuration (--force), and `--worker i/N` parts merged by `dlth merge`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { runDlth, startDlth, ROOT } from '../reliability/helpers.js';
import { tempDir } from '../scaleout/helpers.js';

const MINI = join(ROOT, 'data', 'fashion-mnist-mini');
const GEOMETRY = ['--image-size', '28', '--patch-size', '4', '--channels', '1', '--resize', 'none'];
const src = (limit: number): string[] => ['--source', 'idx', '--root', MINI, '--split', 'train', '--limit', String(limit), ...GEOMETRY];
const lockOf = (out: string): string => join(dirname(out), `.${basename(out)}.lock`);

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('cli: a second writer on the same output is refused at once, naming pid and host; the first finishes intact', { timeout: 120_000 }, async () => {
  const root = await tempDir('locks');
  const out = join(root, 'full');
  const args = ['materialize', ...src(4000), '--policy', 'full', '--out', out, '--shard-mb', '0.5', '-q'];
  const first = startDlth(args);
  await until(() => existsSync(lockOf(out)), 60_000);
  const pid = first.child.pid as number;
  process.kill(pid, 'SIGSTOP'); // hold the first writer mid-run, whatever the machine's speed
  const t0 = Date.now();
  const second = await runDlth(args);
  process.kill(pid, 'SIGCONT');
  assert.equal(second.code, 5, second.stderr);
  assert.match(second.stderr, new RegExp(`being written by pid ${pid} on ${hostname()}`));
  assert.equal(second.stderr.trim().split('\n').length, 1, 'one line');
  assert.ok(Date.now() - t0 < 15_000, 'refused at once, not after waiting');
  const done = await first.done;
  assert.equal(done.code, 0, done.stderr);
  const verify = await runDlth(['verify', out]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /4000 rows/);
  assert.ok(!existsSync(lockOf(out)), 'the lock is released');
  await rm(root, { recursive: true, force: true });
});

test('cli: a lock left by a dead process is taken over', { timeout: 60_000 }, async () => {
  const root = await tempDir('deadlock');
  const out = join(root, 'full');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  await writeFile(lockOf(out), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), started: new Date().toISOString() }));
  const r = await runDlth(['materialize', ...src(50), '--policy', 'full', '--out', out, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(lockOf(out)));
  // A live holder on another host is never guessed stale.
  await writeFile(lockOf(out), JSON.stringify({ pid: 1, host: 'elsewhere', started: '2026-01-01T00:00:00Z' }));
  const refused = await runDlth(['materialize', ...src(50), '--policy', 'full', '--out', out, '-q']);
  assert.equal(refused.code, 5);
  assert.match(refused.stderr, /being written by pid 1 on elsewhere .*remove .*\.full\.lock if that process is gone/);
  await rm(root, { recursive: true, force: true });
});

test('cli: a finished dataset is reused (no recompute); another configuration is refused, then replaced atomically with --force', { timeout: 120_000 }, async () => {
  const root = await tempDir('reuse');
  const out = join(root, 'ds');
  const make = (policy: string, extra: string[] = []): Promise<ReturnType<typeof runDlth> extends Promise<infer F> ? F : never> =>
    runDlth(['materialize', ...src(300), '--policy', policy, ...(policy === 'random' ? ['--keep', '0.5'] : []), '--out', out, '-q', ...extra]);
  assert.equal((await make('full')).code, 0);
  const shard = join(out, 'shard-00000.arrow');
  const before = (await stat(shard)).mtimeMs;
  const manifest = await readFile(join(out, 'manifest.json'), 'utf8');
  const again = await make('full');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /up to date .*nothing recomputed/);
  assert.equal((await stat(shard)).mtimeMs, before, 'not rewritten');
  const other = await make('random');
  assert.equal(other.code, 3, other.stderr);
  assert.match(other.stderr, /holds a finished dataset of another configuration \(policy full, k 49, 300 rows\); pass --force/);
  assert.equal(await readFile(join(out, 'manifest.json'), 'utf8'), manifest, 'the old dataset is untouched');
  const forced = await make('random', ['--force']);
  assert.equal(forced.code, 0, forced.stderr);
  const m = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { meta: { policy: string; k: number } };
  assert.deepEqual([m.meta.policy, m.meta.k], ['random', 25]);
  assert.equal((await runDlth(['verify', out])).code, 0);
  assert.deepEqual((await readdir(root)).sort(), ['ds'], 'no half-built or old directory left beside it');
  await rm(root, { recursive: true, force: true });
});

test('cli: score --worker i/N parts, merged by `dlth merge`, equal a single `dlth score` byte for byte; a missing part is named', { timeout: 180_000 }, async () => {
  const root = await tempDir('cliworkers');
  const args = (out: string, extra: string[] = []): string[] => ['score', ...src(97), '--model', 'vit-micro-p4-28', '--batch-size', '8', '--shard-mb', '0.004', '--out', out, '-q', ...extra];
  const single = join(root, 'single');
  assert.equal((await runDlth(args(single))).code, 0);
  const split = join(root, 'split');
  for (const w of ['0/3', '1/3', '2/3']) {
    const r = await runDlth(args(split, ['--worker', w]));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`→ ${split}/workers/${w.replace('/', '-of-')}`));
  }
  const partial = join(root, 'partial');
  assert.equal((await runDlth(args(partial, ['--worker', '0/2']))).code, 0);
  const refused = await runDlth(['merge', partial]);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /missing worker 1 of 2/);
  const nothing = await runDlth(['merge', join(root, 'single')]);
  assert.equal(nothing.code, 3, 'no worker parts is an error, not "0 datasets"');
  assert.match(nothing.stderr, /no worker parts found/);
  const merged = await runDlth(['merge', split]);
  assert.equal(merged.code, 0, merged.stderr);
  const names = (await readdir(single)).filter((n) => !n.startsWith('.')).sort();
  assert.ok(names.filter((n) => n.endsWith('.arrow')).length > 2, names.join(' '));
  for (const n of names) assert.deepEqual(await readFile(join(split, n)), await readFile(join(single, n)), n);
  await rm(root, { recursive: true, force: true });
});
