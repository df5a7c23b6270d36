/** Hostile inputs (issue 8): each is decoded correctly or rejected with an ImageError naming the file and reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../../src/patchify/decode.js';
import { mapConcurrent, range } from '../../src/patchify/pool.js';
import { patchify } from '../../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { openImageFolder } from '../../src/sources/imagefolder.js';
import { ImageError } from '../../src/util/errors.js';
import sharp from 'sharp';
import { animatedGif, encodePhoto, permissionsIgnored, photo, pngDeclaring } from './images.js';

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

/** The issue-8 corpus as an imagefolder: file → expected outcome ('ok' or a reason pattern). */
async function buildCorpus(root: string): Promise<Record<string, 'ok' | RegExp>> {
  mkdirSync(join(root, 'a', 'deep'), { recursive: true });
  const jpeg = await encodePhoto('jpeg', 200, 150);
  const base = () => sharp(photo('coffee-192x128.jpg'));
  const files: [string, Uint8Array, 'ok' | RegExp][] = [
    ['good.png', await encodePhoto('png', 40, 40), 'ok'],
    ['truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), /truncated/],
    ['empty.jpg', new Uint8Array(0), /empty file/],
    ['text.jpg', Buffer.from('plain text, not a JPEG\n'), /not an image/],
    ['bomb.png', pngDeclaring(100_000, 100_000), /pixel limit/],
    ['cmyk.jpg', await base().toColourspace('cmyk').jpeg().toBuffer(), 'ok'],
    ['sixteen.png', await base().toColourspace('rgb16').png().toBuffer(), 'ok'],
    ['gray-alpha.png', await base().ensureAlpha(0.5).toColourspace('b-w').png().toBuffer(), 'ok'],
    ['animated.gif', await animatedGif(32, 24, [[255, 0, 0], [0, 0, 255]]), 'ok'],
    ['rotated.jpg', await base().jpeg().withMetadata({ orientation: 6 }).toBuffer(), 'ok'],
    ['locked.png', await encodePhoto('png', 40, 40), permissionsIgnored() ? 'ok' : /permission denied \(EACCES\)/],
  ];
  const expected: Record<string, 'ok' | RegExp> = {};
  for (const [name, bytes, outcome] of files) {
    writeFileSync(join(root, 'a', name), bytes);
    expected[`a/${name}`] = outcome;
  }
  // As root, mode 000 does not stop reads, so the locked file decodes normally.
  chmodSync(join(root, 'a', 'locked.png'), 0o000);
  symlinkSync('..', join(root, 'a', 'deep', 'up')); // directory loop: a/deep/up → a
  symlinkSync('loop2.jpg', join(root, 'a', 'loop1.jpg')); // file loop: loop1 → loop2 → loop1
  symlinkSync('loop1.jpg', join(root, 'a', 'loop2.jpg'));
  expected['a/loop1.jpg'] = /symlink loop \(ELOOP\)/;
  expected['a/loop2.jpg'] = /symlink loop \(ELOOP\)/;
  return expected;
}

test('the hostile corpus as an imagefolder: each file decodes or fails with an ImageError naming it and the reason', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dlth-hostile-'));
  try {
    const expected = await buildCorpus(root);
    const src = await openImageFolder({ kind: 'imagefolder', root });
    const ids = Array.from(range(0, src.size), (i) => src.ref(i).id);
    assert.deepEqual(ids, Object.keys(expected).sort());
    for await (const r of mapConcurrent(src, range(0, src.size), (p) => patchify(p, config), { concurrency: 2 })) {
      const id = src.ref(r.index).id;
      const want = expected[id];
      if (want === 'ok') {
        assert.ok(r.ok, `${id}: ${r.ok ? '' : r.error.message}`);
        assert.equal(r.value.patches.length, 32 * 32 * 3);
      } else {
        assert.ok(!r.ok, `${id} should fail`);
        assert.ok(r.error instanceof ImageError && r.error.file === join(root, id), String(r.error));
        assert.match(r.error.message, want, id);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
