/**
 * Every file a source names is looked at before it is read: FIFOs, devices, sockets and
 * directories are refused unread (a failed sample, or an InputError for the listing itself), files
 * over maxFileBytes are refused before any byte is read, and an empty class folder is an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openSource } from '../../src/sources/open.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../src/sources/common.js';
import { ImageError, InputError } from '../../src/util/errors.js';
import { encodePhoto } from '../patchify/images.js';
import { withDir } from './helpers.js';

async function loadError(source: Awaited<ReturnType<typeof openSource>>, index: number): Promise<ImageError> {
  try {
    await source.load(index);
  } catch (err) {
    assert.ok(err instanceof ImageError, `expected an ImageError, got ${String(err)}`);
    return err;
  }
  assert.fail(`sample ${index} loaded`);
}

test('jsonl: a FIFO, /dev/zero, a directory and a socket are refused unread, each naming its kind', withDir('dlth-special-', async (dir) => {
  execFileSync('mkfifo', [join(dir, 'pipe.png')]);
  const server = createServer();
  await new Promise<void>((ok) => server.listen(join(dir, 'sock.png'), ok));
  try {
    writeFileSync(join(dir, 'good.png'), await encodePhoto('png', 8, 8));
    mkdirSync(join(dir, 'dir.png'));
    const lines = [['good.png', 0], ['pipe.png', 0], ['/dev/zero', 1], ['dir.png', 1], ['sock.png', 1]];
    writeFileSync(join(dir, 'list.jsonl'), lines.map(([path, label]) => JSON.stringify({ path, label })).join('\n'));
    const source = await openSource({ kind: 'jsonl', file: join(dir, 'list.jsonl') });
    const byId = new Map(Array.from({ length: source.size }, (_, i) => [source.ref(i).id, i]));
    assert.equal((await source.load(byId.get('good.png') as number)).kind, 'encoded');
    const expect: [string, RegExp][] = [
      ['pipe.png', /not a regular file: a FIFO/], ['/dev/zero', /not a regular file: a character device/],
      ['dir.png', /not a regular file: a directory/], ['sock.png', /not a regular file: a socket/],
    ];
    for (const [id, re] of expect) {
      const err = await loadError(source, byId.get(id) as number);
      assert.match(err.message, re);
      assert.ok(err.file?.endsWith(id.replace(/^\//, '')), err.file);
    }
  } finally {
    server.close();
  }
}));

test('maxFileBytes: a file over the cap is refused before it is read; the default is 64 MiB; bad values are InputErrors', withDir('dlth-special-', async (dir) => {
  mkdirSync(join(dir, 'a'));
  writeFileSync(join(dir, 'a', 'big.png'), await encodePhoto('png', 64, 64));
  writeFileSync(join(dir, 'a', 'small.png'), await encodePhoto('png', 4, 4));
  const source = await openSource({ kind: 'imagefolder', root: dir, maxFileBytes: 200 });
  const err = await loadError(source, 0);
  assert.match(err.message, /a\/big\.png: \d+ bytes, over the 200-byte limit per file \(maxFileBytes\)/);
  assert.equal((await source.load(1)).kind, 'encoded');
  assert.equal(DEFAULT_MAX_FILE_BYTES, 64 * 1024 * 1024);
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(openSource({ kind: 'imagefolder', root: dir, maxFileBytes: bad }), (e: unknown) =>
      e instanceof InputError && /maxFileBytes is .*, expected a positive integer/.test(e.message));
  }
}));

test('jsonl and idx: a listing or IDX file that is a FIFO or a device is an InputError, never read', withDir('dlth-special-', async (dir) => {
  execFileSync('mkfifo', [join(dir, 'list.jsonl')]);
  await assert.rejects(openSource({ kind: 'jsonl', file: join(dir, 'list.jsonl') }), (e: unknown) =>
    e instanceof InputError && /list\.jsonl: not a regular file: a FIFO/.test(e.message));
  await assert.rejects(openSource({ kind: 'idx', images: '/dev/zero', split: 'train' }), (e: unknown) =>
    e instanceof InputError && /\/dev\/zero: not a regular file: a character device/.test(e.message));
}));

test('imagefolder: an empty class folder is an error naming it, unless allowEmptyClasses', withDir('dlth-special-', async (dir) => {
  for (const c of ['ant', 'bee', 'cat']) mkdirSync(join(dir, c));
  writeFileSync(join(dir, 'ant', 'x.png'), await encodePhoto('png', 4, 4));
  writeFileSync(join(dir, 'bee', 'notes.txt'), 'no image here');
  writeFileSync(join(dir, 'cat', 'y.png'), await encodePhoto('png', 4, 4));
  await assert.rejects(openSource({ kind: 'imagefolder', root: dir }), (e: unknown) =>
    e instanceof InputError && e.file === dir && /class folder "bee" has no images/.test(e.message) && /allowEmptyClasses/.test(e.message));
  const source = await openSource({ kind: 'imagefolder', root: dir, allowEmptyClasses: true });
  assert.deepEqual(source.classes, ['ant', 'bee', 'cat']);
  assert.deepEqual([source.ref(0).label, source.ref(1).label], [0, 2]);
}));
