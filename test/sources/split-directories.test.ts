/**
 * An imagefolder root one level too high (root/train/<class>/…, root/val/<class>/…) is refused in
 * one line naming the split to pass as the root, not read as the classes "train" and "val";
 * allowSplitDirectories takes them as classes. Class folders merely named like splits, holding only
 * images, are classes as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSource } from '../../src/sources/open.js';
import { InputError } from '../../src/util/errors.js';
import { encodePhoto } from '../patchify/images.js';
import { withDir } from './helpers.js';

async function image(path: string): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, await encodePhoto('png', 16, 16));
}

test('imagefolder: a root of train/ and val/ split folders is refused, naming <root>/train', withDir('dlth-split-', async (root) => {
  for (const split of ['train', 'val']) for (const c of ['cat', 'dog']) await image(join(root, split, c, 'a.png'));
  await assert.rejects(openSource({ kind: 'imagefolder', root }), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.message.split('\n').length, 1);
    assert.match(e.message, /looks like a directory of dataset splits \(train, val, each holding class folders\)/);
    assert.ok(e.message.includes(`root: ${JSON.stringify(join(root, 'train'))}`), e.message);
    assert.match(e.message, /allowSplitDirectories: true/);
    assert.ok(e.message.startsWith(`${root}: `), e.message);
    return true;
  });
  const forced = await openSource({ kind: 'imagefolder', root, allowSplitDirectories: true });
  assert.deepEqual(forced.classes, ['train', 'val']);
  assert.equal(forced.size, 4);
  const train = await openSource({ kind: 'imagefolder', root: join(root, 'train') });
  assert.deepEqual(train.classes, ['cat', 'dog']);
}));

test('imagefolder: split names in another case (Train/Validation/Test) are recognised too', withDir('dlth-split-', async (root) => {
  for (const split of ['Test', 'Train', 'Validation']) await image(join(root, split, 'cat', 'a.png'));
  await assert.rejects(openSource({ kind: 'imagefolder', root }), /use root: ".*\/Train" for one split/);
}));

test('imagefolder: classes named like splits but holding images, or beside other classes, stay classes', withDir('dlth-split-', async (root) => {
  await image(join(root, 'flat', 'train', 'a.png'));
  await image(join(root, 'flat', 'test', 'b.png'));
  assert.deepEqual((await openSource({ kind: 'imagefolder', root: join(root, 'flat') })).classes, ['test', 'train']);
  await image(join(root, 'mixed', 'train', 'x', 'a.png'));
  await image(join(root, 'mixed', 'zebra', 'x', 'b.png'));
  assert.deepEqual((await openSource({ kind: 'imagefolder', root: join(root, 'mixed') })).classes, ['train', 'zebra']);
}));
