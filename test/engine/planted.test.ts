/**
 * Locks and merged shards never write through planted links nor replace special files: the lock's
 * temp is created new (openTemp), a lock path that is a FIFO is refused rather than read (which
 * would block), and merge refuses a link where a merged shard goes (it used to follow it to the
 * worker's shard, take it for placed, and list the link in the manifest).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readdir, readFile, readlink, symlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireLock, lockFileOf } from '../../src/engine/lock.js';
import { mergeRun } from '../../src/pipeline/merge.js';
import { isRefusal, mkfifo, PRECIOUS, victimFile } from '../util/planted.js';
import { tempDir, writeAllWorkers } from '../scaleout/helpers.js';

test('lock: a link planted at its temp name is not written through; the lock is taken whole', async () => {
  const root = await tempDir('lock-planted');
  const target = join(root, 'train');
  const victim = victimFile();
  await symlink(victim, `${lockFileOf(target)}.tmp-${hostname()}-${process.pid}`);
  const lock = await acquireLock(target);
  assert.equal(await readFile(victim, 'utf8'), PRECIOUS);
  assert.ok((await lstat(lock.file)).isFile());
  assert.equal((JSON.parse(await readFile(lock.file, 'utf8')) as { pid: number }).pid, process.pid);
  await lock.release();
  assert.deepEqual(await readdir(root), []);
});

test('lock: a FIFO at the lock path is refused at once (one-line IoError), never read', { timeout: 10_000 }, async () => {
  const root = await tempDir('lock-fifo');
  const target = join(root, 'train');
  mkfifo(lockFileOf(target));
  await assert.rejects(acquireLock(target), isRefusal(lockFileOf(target), /a FIFO/));
  assert.ok((await lstat(lockFileOf(target))).isFIFO());
});

test('merge: a link where a merged shard goes is refused, not taken for the placed shard; nothing is listed', async () => {
  const out = await tempDir('merge-planted');
  const dataset = join(out, 'full', 'train');
  await writeAllWorkers(dataset, 23, 2);
  const dest = join(dataset, 'shard-00000.arrow');
  await symlink(join(dataset, 'workers', '0-of-2', 'shard-00000.arrow'), dest);
  await assert.rejects(mergeRun({ out }), isRefusal(dest, /a symbolic link/));
  assert.ok((await lstat(dest)).isSymbolicLink());
  assert.ok(!(await readdir(dataset)).includes('manifest.json'));
  assert.equal(await readlink(dest), join(dataset, 'workers', '0-of-2', 'shard-00000.arrow'));
});
