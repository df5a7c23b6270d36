import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSource } from '../../src/sources/open.js';
import { patchify } from '../../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { InputError } from '../../src/util/errors.js';
import { encodePhoto, permissionsIgnored, type Format } from '../patchify/images.js';

async function buildFolder(root: string): Promise<void> {
  const files: [string, Format, number, number][] = [
    ['dog/b.jpg', 'jpeg', 120, 90], ['dog/a.PNG', 'png', 64, 64], ['dog/sub/c.webp', 'webp', 80, 100],
    ['cat/x.gif', 'gif', 50, 40], ['cat/y.tiff', 'tiff', 40, 60], ['ant/z.jpeg', 'jpeg', 33, 77],
  ];
  for (const [rel, format, w, h] of files) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), await encodePhoto(format, w, h, 'chelsea-150x100.jpg'));
  }
  writeFileSync(join(root, 'dog', 'notes.txt'), 'not an image');
  writeFileSync(join(root, 'cat', '.hidden.jpg'), 'junk');
  mkdirSync(join(root, '.ipynb_checkpoints'));
  writeFileSync(join(root, 'README.md'), 'top-level files are not classes');
  symlinkSync('..', join(root, 'dog', 'sub', 'loop')); // dog/sub/loop → dog: a directory loop
  symlinkSync(join(root, 'ant'), join(root, 'cat', 'ants')); // the same directory under two classes
}

test('imagefolder: sorted classes, posix relative ids in sorted order, non-images ignored, loops followed once', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-if-'));
  try {
    await buildFolder(root);
    const src = await openSource({ kind: 'imagefolder', root });
    assert.deepEqual(src.classes, ['ant', 'cat', 'dog']);
    const refs = Array.from({ length: src.size }, (_, i) => src.ref(i));
    assert.deepEqual(refs.map((r) => [r.id, r.label]), [
      ['ant/z.jpeg', 0], ['cat/ants/z.jpeg', 1], ['cat/x.gif', 1], ['cat/y.tiff', 1], ['dog/a.PNG', 2], ['dog/b.jpg', 2], ['dog/sub/c.webp', 2],
    ]);
    assert.equal(refs[6].location, join(root, 'dog', 'sub', 'c.webp'));
    const cfg = resolvePatchifyConfig({ imageSize: 32, patchSize: 8 });
    for (let i = 0; i < src.size; i++) assert.equal((await patchify(await src.load(i), cfg)).gridH, 4);

    const again = await openSource({ kind: 'imagefolder', root });
    assert.equal(again.fingerprint, src.fingerprint, 'stable across opens');
    writeFileSync(join(root, 'cat', 'new.png'), await encodePhoto('png', 20, 20));
    assert.notEqual((await openSource({ kind: 'imagefolder', root })).fingerprint, src.fingerprint);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('imagefolder: clear InputErrors for a missing root, no classes, no images, unreadable directories', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-if-bad-'));
  try {
    await assert.rejects(openSource({ kind: 'imagefolder', root: join(root, 'nope') }), (e: unknown) =>
      e instanceof InputError && /cannot read directory \(ENOENT\)/.test(e.message) && e.file === join(root, 'nope'));
    await assert.rejects(openSource({ kind: 'imagefolder', root }), /no class sub-directories/);
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'a', 'x.txt'), 'x');
    await assert.rejects(openSource({ kind: 'imagefolder', root }), /no images with extensions/);
    mkdirSync(join(root, 'b'));
    writeFileSync(join(root, 'b', 'ok.png'), await encodePhoto('png', 8, 8));
    chmodSync(join(root, 'b'), 0o000);
    if (permissionsIgnored()) {
      // As root, mode 000 does not stop readdir: the directory is listed like any other.
      assert.equal((await openSource({ kind: 'imagefolder', root, allowEmptyClasses: true })).size, 1);
    } else {
      await assert.rejects(openSource({ kind: 'imagefolder', root }), (e: unknown) =>
        e instanceof InputError && e.file === join(root, 'b') && /EACCES/.test(e.message));
    }
    chmodSync(join(root, 'b'), 0o755);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
