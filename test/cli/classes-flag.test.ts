/** `--classes` names an idx (or jsonl) source's labels on the CLI, as a pipeline's `classes` does, so its datasets can be trained on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDataset } from '../../src/shards/reader.js';
import { ROOT, runDlth } from '../reliability/helpers.js';
import { tempDir } from '../scaleout/helpers.js';

const FASHION = 'T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot';
const src = ['--source', 'idx', '--root', join(ROOT, 'data', 'fashion-mnist-mini'), '--split', 'test', '--limit', '16', '--image-size', '28', '--patch-size', '4', '--channels', '1', '--resize', 'none'];

test('CLI --classes: an idx dataset records the class names (trainable); an empty name or an imagefolder is refused with exit 3', { timeout: 60_000 }, async () => {
  const root = await tempDir('classes');
  const ok = await runDlth(['materialize', ...src, '--classes', FASHION, '--policy', 'full', '--out', join(root, 'full'), '-q']);
  assert.equal(ok.code, 0, ok.stderr);
  const meta = (await openDataset(join(root, 'full'))).meta;
  assert.deepEqual([meta.source.classes?.length, meta.source.classes?.[9], meta.numClasses], [10, 'Ankle boot', 10]);
  const plain = await runDlth(['materialize', ...src, '--policy', 'full', '--out', join(root, 'plain'), '-q']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal((await openDataset(join(root, 'plain'))).meta.numClasses, null, 'without --classes: no class names');
  const empty = await runDlth(['materialize', ...src, '--classes', 'a,,b', '--policy', 'full', '--out', join(root, 'e'), '-q']);
  assert.equal(empty.code, 3, empty.stderr);
  assert.match(empty.stderr, /--classes "a,,b" has an empty name/);
  const few = await runDlth(['materialize', ...src, '--classes', 'a,b', '--policy', 'full', '--out', join(root, 'f'), '-q']);
  assert.equal(few.code, 3, few.stderr);
  assert.match(few.stderr, /classes/);
  const folder = await runDlth(['materialize', '--source', 'imagefolder', '--root', root, '--classes', 'a', '--policy', 'full', '--out', join(root, 'g'), '-q']);
  assert.equal(folder.code, 3, folder.stderr);
  assert.match(folder.stderr, /--classes applies to --source idx or jsonl/);
});
