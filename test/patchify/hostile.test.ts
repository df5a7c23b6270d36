/** Hostile inputs (issue 8): each is decoded correctly or rejected with an ImageError naming the file and reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, mapConcurrent, patchify, range, resolvePatchifyConfig } from '../../src/patchify/index.js';
import { openImageFolder } from '../../src/sources/index.js';
import { ImageError } from '../../src/util/errors.js';
import { animatedGif, encodePhoto, permissionsIgnored, pngDeclaring } from './images.js';

const config = resolvePatchifyConfig({ imageSize: 32, patchSize: 8 });

function rejectsWith(file: string, reason: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ImageError, `expected ImageError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, reason);
    assert.ok(e.message.startsWith(`${file}: `), 'message names the file');
    return true;
  };
}

test('truncated JPEG, zero-byte file, text named .jpg, PNG bomb: clear ImageErrors', async () => {
  const jpeg = await encodePhoto('jpeg', 200, 150);
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), /truncated|premature end/i],
    ['empty.jpg', new Uint8Array(0), /empty file/],
    ['text.jpg', Buffer.from('this is not an image, just some text\n'), /not an image/],
    ['bomb.png', pngDeclaring(100_000, 100_000), /pixel limit/],
  ];
  for (const [file, bytes, reason] of cases) {
    await assert.rejects(decodeImage({ kind: 'encoded', file, bytes }, config), rejectsWith(file, reason));
  }
});

test('the pixel limit is the configured one, checked before decoding', async () => {
  const png = await encodePhoto('png', 120, 100);
  const small = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, limitInputPixels: 120 * 100 - 1 });
  await assert.rejects(decodeImage({ kind: 'encoded', file: 'p.png', bytes: png }, small), rejectsWith('p.png', /pixel limit/));
  const ok = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, limitInputPixels: 120 * 100 });
  assert.equal((await decodeImage({ kind: 'encoded', file: 'p.png', bytes: png }, ok)).width, 32);
});

test('animated GIF: the first frame', async () => {
  const gif = await animatedGif(32, 32, [[250, 0, 0], [0, 250, 0], [0, 0, 250]]);
  const img = await decodeImage({ kind: 'encoded', file: 'a.gif', bytes: gif }, config);
  assert.deepEqual([img.width, img.height], [32, 32]);
  assert.ok(img.data[0] > 200 && img.data[1] < 50 && img.data[2] < 50, `first frame is red: ${img.data.subarray(0, 3)}`);
});

test('imagefolder with an unreadable file and symlink loops: good files decode, bad ones are ImageErrors, nothing hangs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-hostile-'));
  try {
    mkdirSync(join(root, 'a', 'deep'), { recursive: true });
    writeFileSync(join(root, 'a', 'good.png'), await encodePhoto('png', 40, 40));
    writeFileSync(join(root, 'a', 'locked.png'), await encodePhoto('png', 40, 40));
    chmodSync(join(root, 'a', 'locked.png'), 0o000);
    symlinkSync('..', join(root, 'a', 'deep', 'up')); // directory loop: a/deep/up → a
    symlinkSync('loop2.jpg', join(root, 'a', 'loop1.jpg')); // file loop: loop1 → loop2 → loop1
    symlinkSync('loop1.jpg', join(root, 'a', 'loop2.jpg'));
    const src = await openImageFolder({ kind: 'imagefolder', root });
    const ids = Array.from(range(0, src.size), (i) => src.ref(i).id);
    assert.deepEqual(ids, ['a/good.png', 'a/locked.png', 'a/loop1.jpg', 'a/loop2.jpg']);
    const outcome: Record<string, string> = {};
    for await (const r of mapConcurrent(src, range(0, src.size), (p) => patchify(p, config), { concurrency: 2 })) {
      const id = src.ref(r.index).id;
      if (r.ok) outcome[id] = 'ok';
      else {
        assert.ok(r.error instanceof ImageError && r.error.file === join(root, id), String(r.error));
        outcome[id] = r.error.message;
      }
    }
    assert.equal(outcome['a/good.png'], 'ok');
    assert.match(outcome['a/loop1.jpg'], /symlink loop \(ELOOP\)/);
    if (permissionsIgnored()) {
      // Running as root: mode 000 does not stop reads, so the file decodes normally.
      assert.equal(outcome['a/locked.png'], 'ok');
    } else {
      assert.match(outcome['a/locked.png'], /permission denied \(EACCES\)/);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
