/** mkdirp always ends (even under /proc); readRegularFile looks before it reads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdirp, readRegularFile } from '../../src/util/fsx.js';
import { FileRefusedError, IoError } from '../../src/util/errors.js';

test('mkdirp: creates nested directories, accepts an existing one, and fails (never loops) where mkdir cannot succeed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-mkdirp-'));
  try {
    await mkdirp(join(dir, 'a', 'b', 'c'));
    await mkdirp(join(dir, 'a', 'b'));
    assert.ok(existsSync(join(dir, 'a', 'b', 'c')));
    writeFileSync(join(dir, 'file'), 'x');
    await assert.rejects(mkdirp(join(dir, 'file')), (e: unknown) => e instanceof IoError && e.syscallCode === 'EEXIST' && /a file of that name exists/.test(e.message));
    await assert.rejects(mkdirp(join(dir, 'file', 'sub')), (e: unknown) => e instanceof IoError && e.syscallCode === 'ENOTDIR');
    // Node's own mkdir({ recursive: true }) never returns here.
    if (existsSync('/proc/self')) await assert.rejects(mkdirp('/proc/dlth-none/x'), (e: unknown) => e instanceof IoError && e.file === '/proc/dlth-none');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readRegularFile: reads a file whole; refuses devices and oversize files before reading; stops on an aborted signal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-read-'));
  try {
    const file = join(dir, 'f.bin');
    writeFileSync(file, Buffer.alloc(10_000, 7));
    assert.equal((await readRegularFile(file, { maxBytes: 10_000 })).length, 10_000);
    await assert.rejects(readRegularFile(file, { maxBytes: 9_999, limitName: 'maxFileBytes' }), (e: unknown) =>
      e instanceof FileRefusedError && /10000 bytes, over the 9999-byte limit per file \(maxFileBytes\)/.test(e.message));
    await assert.rejects(readRegularFile('/dev/zero', { maxBytes: 1 << 20 }), /\/dev\/zero: not a regular file: a character device/);
    await assert.rejects(readRegularFile(join(dir, 'none'), { maxBytes: 1 }), (e: unknown) => e instanceof IoError && e.syscallCode === 'ENOENT');
    const stopped = new AbortController();
    stopped.abort('SIGTERM');
    await assert.rejects(readRegularFile(file, { maxBytes: 1 << 20, signal: stopped.signal }), { name: 'InterruptedError' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
