/**
 * The output lock appears whole or not at all: its content is linked into place from a temp file,
 * so a process killed while taking it leaves no empty lock (which would block every rerun, as the
 * seeded crash test once found), and a temp left by a killed process is removed by the next one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireLock, lockFileOf, LockedError } from '../../src/engine/lock.js';
import { tempDir } from '../scaleout/helpers.js';

const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

test('lock: taken whole (pid, host, start), no temp file left; a dead process\'s temp is swept; a held lock refuses a second taker', async () => {
  const root = await tempDir('lock');
  const target = join(root, 'train');
  const leftover = `${lockFileOf(target)}.tmp-${hostname()}-${deadPid()}`;
  await writeFile(leftover, '{"pid":'); // killed mid-write, before the link
  const otherHost = `${lockFileOf(target)}.tmp-elsewhere-${deadPid()}`;
  await writeFile(otherHost, '');
  const lock = await acquireLock(target);
  const holder = JSON.parse(await readFile(lock.file, 'utf8')) as { pid: number; host: string; started: string };
  assert.deepEqual([holder.pid, holder.host], [process.pid, hostname()]);
  assert.deepEqual((await readdir(root)).sort(), ['.train.lock', `.train.lock.tmp-elsewhere-${otherHost.split('-').pop()}`],
    'the dead temp of this host is gone, another host\'s is left alone, none of ours remains');
  await assert.rejects(acquireLock(target).then(() => undefined), (err: unknown) => err instanceof LockedError && /pid \d+ on /.test(err.message));
  await lock.release();
  assert.deepEqual(await readdir(root), [`.train.lock.tmp-elsewhere-${otherHost.split('-').pop()}`]);
});
