import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIdx } from '../../src/sources/idx.js';
import { openSource } from '../../src/sources/open.js';
import { parseIdx } from '../../src/sources/idx_format.js';
import type { Source } from '../../src/sources/types.js';
import { InputError } from '../../src/util/errors.js';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const MINI = 'data/fashion-mnist-mini';
const noDebian = existsSync(join(DEBIAN, 'train-images-idx3-ubyte.gz')) ? false : `skipped: ${DEBIAN} missing (apt-get install dataset-fashion-mnist)`;

function assertSortedIds(src: Source): void {
  for (let i = 1; i < src.size; i++) assert.ok(src.ref(i - 1).id < src.ref(i).id, `ids out of order at ${i}`);
}

async function pixels(src: Source, i: number): Promise<Uint8Array> {
  const p = await src.load(i);
  assert.equal(p.kind, 'raw');
  return p.kind === 'raw' ? p.image.data : new Uint8Array();
}

test('Debian Fashion-MNIST: 60 000 train / 10 000 test, first labels, sorted ids', { skip: noDebian }, async () => {
  const train = await openSource({ kind: 'idx', dir: DEBIAN, split: 'train' });
  const t10k = await openSource({ kind: 'idx', dir: DEBIAN, split: 'test' });
  assert.deepEqual([train.size, t10k.size], [60000, 10000]);
  assert.deepEqual(train.ref(0), { id: 'train/00000', label: 9, location: `${DEBIAN}/train-images-idx3-ubyte.gz#0` });
  assert.deepEqual([train.ref(1).label, train.ref(59999).id], [0, 'train/59999']);
  assert.deepEqual([t10k.ref(0).id, t10k.ref(0).label, t10k.ref(1).label], ['test/00000', 9, 2]);
  assertSortedIds(train);
  const p = await train.load(0);
  assert.ok(p.kind === 'raw' && p.image.width === 28 && p.image.height === 28 && p.image.channels === 1);
  assert.notEqual(train.fingerprint, t10k.fingerprint);
});

test('embedded subset: 4000 train / 1000 test, first labels, sorted ids', async () => {
  const mini = await openIdx({ kind: 'idx', dir: MINI, split: 'train' });
  const miniTest = await openIdx({ kind: 'idx', dir: MINI, split: 'test' });
  assert.deepEqual([mini.size, miniTest.size], [4000, 1000]);
  assert.deepEqual([mini.ref(0).label, miniTest.ref(0).label, mini.ref(3999).id], [9, 9, 'train/03999']);
  assertSortedIds(mini);
  assertSortedIds(miniTest);
});

test('embedded subset = the first 4000 samples of the Debian files', { skip: noDebian }, async () => {
  const mini = await openIdx({ kind: 'idx', dir: MINI, split: 'train' });
  const full = await openIdx({ kind: 'idx', dir: DEBIAN, split: 'train', limit: 4000 });
  assert.equal(full.size, 4000);
  assert.equal(mini.fingerprint, full.fingerprint, 'same ids, labels and pixels');
  for (const i of [0, 1234, 3999]) {
    assert.deepEqual(mini.ref(i).id, full.ref(i).id);
    assert.deepEqual(await pixels(mini, i), await pixels(full, i));
  }
});

test('raw (uncompressed) files, explicit paths, and load() hands out views, not copies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-idx-'));
  try {
    for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      writeFileSync(join(dir, f), gunzipSync(readFileSync(join(MINI, `${f}.gz`))));
    }
    const raw = await openIdx({ kind: 'idx', dir, split: 'test' });
    const gz = await openIdx({ kind: 'idx', dir: MINI, split: 'test' });
    assert.equal(raw.fingerprint, gz.fingerprint);
    assert.deepEqual(await pixels(raw, 7), await pixels(gz, 7));
    const explicit = await openIdx({ kind: 'idx', split: 'test', images: join(dir, 't10k-images-idx3-ubyte'), limit: 10 });
    assert.deepEqual([explicit.size, explicit.ref(3).label, explicit.ref(9).id], [10, null, 'test/00009']);
    const a = await pixels(raw, 5);
    const b = await pixels(raw, 6);
    assert.equal(a.buffer, b.buffer, 'both views of the one images buffer');
    assert.equal(a.byteLength, 784);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt IDX files: clear InputErrors naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlth-idx-bad-'));
  try {
    const good = gunzipSync(readFileSync(join(MINI, 't10k-images-idx3-ubyte.gz')));
    const labels = gunzipSync(readFileSync(join(MINI, 't10k-labels-idx1-ubyte.gz')));
    const cases: [string, Uint8Array, RegExp][] = [
      ['magic', Buffer.concat([Buffer.from([1, 0]), good.subarray(2)]), /bad magic/],
      ['type', Buffer.concat([Buffer.from([0, 0, 0x0d]), good.subarray(3)]), /data type 0xd/],
      ['dims', Buffer.concat([Buffer.from([0, 0, 8, 1]), good.subarray(4)]), /1 dimensions, expected 3/],
      ['truncated', good.subarray(0, good.length - 100), /size mismatch.*1000×28×28/],
      ['header', good.subarray(0, 10), /header truncated/],
      ['tiny', Buffer.from([0, 0]), /shorter than the header/],
      ['gzip', gzipSync(good).subarray(0, 5000), /corrupt or truncated gzip/],
    ];
    for (const [name, bytes, re] of cases) {
      const file = join(dir, `${name}-images`);
      writeFileSync(file, bytes);
      await assert.rejects(openIdx({ kind: 'idx', split: 'test', images: file }), (e: unknown) =>
        e instanceof InputError && e.file === file && re.test(e.message));
    }
    const few = join(dir, 'few-labels');
    const short = Buffer.from(labels.subarray(0, 8 + 999));
    short.writeUInt32BE(999, 4);
    writeFileSync(few, short);
    await assert.rejects(openIdx({ kind: 'idx', split: 'test', images: join(MINI, 't10k-images-idx3-ubyte.gz'), labels: few }), /999 labels for 1000 images/);
    await assert.rejects(openIdx({ kind: 'idx', dir, split: 'train' }), (e: unknown) => e instanceof InputError && /train-images-idx3-ubyte.gz.*dataset-fashion-mnist/.test(e.message));
    await assert.rejects(openIdx({ kind: 'idx', split: 'test', images: join(MINI, 't10k-images-idx3-ubyte.gz'), labels: join(MINI, 't10k-labels-idx1-ubyte.gz'), classes: ['a', 'b'] }), /≥ 2 classes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 5]), 'x', 1), /declares 2 = 2 bytes of data, file has 1/);
});

test('offset + limit: a contiguous range of the file (a validation split); ids, labels, pixels keep the file index', async () => {
  const all = await openIdx({ kind: 'idx', dir: MINI, split: 'train' });
  const head = await openIdx({ kind: 'idx', dir: MINI, split: 'train', limit: 3600 });
  const val = await openIdx({ kind: 'idx', dir: MINI, split: 'train', offset: 3600, limit: 400 });
  const rest = await openIdx({ kind: 'idx', dir: MINI, split: 'train', offset: 3990 });
  assert.deepEqual([head.size, val.size, rest.size], [3600, 400, 10]);
  for (const i of [0, 17, 399]) {
    assert.deepEqual(val.ref(i), all.ref(3600 + i));
    assert.equal(val.fileIndex(i), 3600 + i);
    assert.deepEqual(await pixels(val, i), await pixels(all, 3600 + i));
  }
  assert.equal(val.ref(0).id, 'train/03600');
  assertSortedIds(val);
  assert.ok(head.ref(head.size - 1).id < val.ref(0).id, 'the two ranges do not overlap and keep file order');
  assert.notEqual(val.fingerprint, head.fingerprint);
  const zero = await openIdx({ kind: 'idx', dir: MINI, split: 'train', offset: 0, limit: 3600 });
  assert.equal(zero.fingerprint, head.fingerprint, 'offset 0 is no offset');
  const end = await openIdx({ kind: 'idx', dir: MINI, split: 'train', offset: 4000 });
  assert.equal(end.size, 0);
  await assert.rejects(openIdx({ kind: 'idx', dir: MINI, split: 'train', offset: 4001 }), (e: unknown) => e instanceof InputError && /offset 4001 is past the 4000 images/.test(e.message));
  await assert.rejects(openIdx({ kind: 'idx', dir: MINI, split: 'train', offset: -1 }), InputError);
});
