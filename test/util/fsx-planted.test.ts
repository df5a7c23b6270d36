/**
 * Atomic writes never write through a link planted at their temporary name and never replace
 * anything but a regular file: the temp is created new (O_CREAT|O_EXCL|O_NOFOLLOW) and the target
 * is checked (lstat) before the rename.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTemp, tempName, writeFileAtomic } from '../../src/util/fsx.js';
import { isRefusal, mkfifo, PRECIOUS, victimFile } from './planted.js';

function dirs(): { dir: string; victim: string } {
  return { dir: mkdtempSync(join(tmpdir(), 'dlth-planted-')), victim: victimFile() };
}

test('writeFileAtomic: a symlink planted at the temp name is not followed; the file it points to is untouched and the write succeeds', async () => {
  const { dir, victim } = dirs();
  const path = join(dir, 'a.json');
  symlinkSync(victim, tempName(path));
  await writeFileAtomic(path, '{"a":1}\n');
  assert.equal(readFileSync(victim, 'utf8'), PRECIOUS, 'the link target is untouched');
  assert.ok(lstatSync(path).isFile(), 'the result is a regular file, not the planted link');
  assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n');
  assert.deepEqual(readdirSync(dir), ['a.json'], 'no temp left');
});

test('openTemp: a dangling link at the temp name (pointing where a file would be created) creates nothing there', async () => {
  const { dir } = dirs();
  const target = join(dir, 'created-through-link');
  const tmp = join(dir, '.x.tmp-1');
  symlinkSync(target, tmp);
  const fh = await openTemp(tmp);
  await fh.close();
  assert.ok(lstatSync(tmp).isFile());
  assert.deepEqual(readdirSync(dir).sort(), ['.x.tmp-1'], 'nothing created at the link\'s target');
});

test('writeFileAtomic: refuses to replace a FIFO, a symlink or a directory (one-line IoError naming the file), leaving it as it was', async () => {
  const { dir, victim } = dirs();
  const fifo = join(dir, 'fifo.json');
  mkfifo(fifo);
  await assert.rejects(writeFileAtomic(fifo, 'x'), isRefusal(fifo, /a FIFO/));
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  const link = join(dir, 'link.json');
  symlinkSync(victim, link);
  await assert.rejects(writeFileAtomic(link, 'x'), isRefusal(link, /a symbolic link/));
  assert.equal(readlinkSync(link), victim, 'still the same link');
  assert.equal(readFileSync(victim, 'utf8'), PRECIOUS);
  const sub = join(dir, 'sub.json');
  mkdirSync(sub);
  await assert.rejects(writeFileAtomic(sub, 'x'), isRefusal(sub, /a directory/));
  assert.deepEqual(readdirSync(dir).sort(), ['fifo.json', 'link.json', 'sub.json'], 'no temp left');
});
