/**
 * dlth make-cluttered: same seed → same bytes (sha256, masks included), another seed → other bytes, the files read
 * back through the idx source, the composition rule holds pixel by pixel, untrusted textures fail
 * with one line naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSource } from '../../src/sources/open.js';
import { readIdx } from '../../src/sources/idx_format.js';
import { makeCluttered } from '../../src/synth/cluttered.js';
import { compose, COMPOSE_DEFAULTS, placement } from '../../src/synth/compose.js';
import { parsePgm } from '../../src/synth/pgm.js';
import { defaultTextureDir, loadTextures } from '../../src/synth/textures.js';
import { InputError, IoError } from '../../src/util/errors.js';

const MINI = 'data/fashion-mnist-mini';
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-masks-idx3-ubyte.gz', 't10k-masks-idx3-ubyte.gz'];
const tmp = (): string => mkdtempSync(join(tmpdir(), 'dlth-cluttered-'));
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function make(seed: number): string {
  const out = tmp();
  execFileSync(process.execPath, ['bin/dlth.js', 'make-cluttered', '--fashion', MINI, '--out', out, '--seed', String(seed), '--count', '60', '--test-count', '20'], { stdio: 'pipe' });
  return out;
}

test('same seed → byte-identical files (sha256); another seed → different images, same labels', () => {
  const [a, b, c] = [make(3), make(3), make(4)];
  for (const f of FILES) assert.equal(sha(join(a, f)), sha(join(b, f)), f);
  assert.equal(readFileSync(join(a, 'cluttered.json'), 'utf8'), readFileSync(join(b, 'cluttered.json'), 'utf8'));
  assert.notEqual(sha(join(a, FILES[0])), sha(join(c, FILES[0])));
  assert.equal(sha(join(a, FILES[1])), sha(join(c, FILES[1])));
});

test('the idx source reads the output: 56×56 images, Fashion-MNIST labels of the same split and order', async () => {
  const out = tmp();
  await makeCluttered({ fashion: MINI, out, seed: 0, count: 30, testCount: 10 });
  const train = await openSource({ kind: 'idx', dir: out, split: 'train' });
  const test_ = await openSource({ kind: 'idx', dir: out, split: 'test' });
  const fm = await openSource({ kind: 'idx', dir: MINI, split: 'test' });
  assert.deepEqual([train.size, test_.size], [30, 10]);
  const p = await train.load(0);
  assert.ok(p.kind === 'raw' && p.image.width === 56 && p.image.height === 56 && p.image.channels === 1);
  for (let i = 0; i < 10; i++) assert.equal(test_.ref(i).label, fm.ref(i).label);
});

test('composition rule: opaque item pixels are the item, far from the item the scaled texture', async () => {
  const textures = await loadTextures(defaultTextureDir(), 56);
  assert.deepEqual(textures.map((t) => t.name), ['brick', 'grass', 'gravel']);
  const items = await readIdx(join(MINI, 'train-images-idx3-ubyte.gz'), 3);
  const c = COMPOSE_DEFAULTS;
  for (let i = 0; i < 20; i++) {
    const item = items.data.subarray(i * 784, (i + 1) * 784);
    const p = placement(0, 1, i, textures, c.size, 28);
    const t = textures[p.texture];
    const out = new Uint8Array(56 * 56);
    compose(item, 28, t, p, c, out);
    for (let y = 0; y < 56; y++) {
      for (let x = 0; x < 56; x++) {
        const [iy, ix] = [y - p.itemY, x - p.itemX];
        const v = iy >= 0 && iy < 28 && ix >= 0 && ix < 28 ? item[iy * 28 + ix] : 0;
        const bg = Math.max(0, Math.min(255, Math.round(128 + c.contrast * (t.data[(p.cropY + y) * t.width + p.cropX + x] - t.mean))));
        if (v >= c.opaqueAt) assert.equal(out[y * 56 + x], v);
        if (v === 0) assert.equal(out[y * 56 + x], bg);
      }
    }
  }
});

test('placements vary: every texture used, items at many positions, within bounds', async () => {
  const textures = await loadTextures(defaultTextureDir(), 56);
  const used = new Set<number>();
  const xs = new Set<number>();
  for (let i = 0; i < 300; i++) {
    const p = placement(7, 1, i, textures, 56, 28);
    used.add(p.texture);
    xs.add(p.itemX);
    assert.ok(p.itemX >= 0 && p.itemX <= 28 && p.itemY >= 0 && p.itemY <= 28 && p.cropX + 56 <= 512 && p.cropY + 56 <= 512);
  }
  assert.equal(used.size, 3);
  assert.ok(xs.size > 20);
});

test('bad inputs: one error naming the file or the value', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'bad.pgm'), 'P5\n10 10\n255\nabc');
  await assert.rejects(loadTextures(dir, 8), (e: unknown) => e instanceof InputError && /size mismatch/.test(e.message) && e.file === join(dir, 'bad.pgm'));
  await assert.rejects(loadTextures(tmp(), 8), (e: unknown) => e instanceof InputError && /no texture/.test(e.message));
  assert.throws(() => parsePgm(new TextEncoder().encode('P6\n1 1\n255\nabc'), 'x.pgm'), /not a binary PGM/);
  await assert.rejects(makeCluttered({ fashion: MINI, out: tmp(), count: 4001 }), /count = 4001 is outside 1..4000/);
  await assert.rejects(makeCluttered({ fashion: tmp(), out: tmp(), count: 1 }), (e: unknown) => e instanceof InputError && /cannot read IDX file/.test(e.message));
  // node's mkdir({ recursive: true }) never returns here
  await assert.rejects(makeCluttered({ fashion: MINI, out: '/proc/dlth-cluttered/out', count: 1, testCount: 1 }), (e: unknown) => e instanceof IoError && e.message.includes('/proc/dlth-cluttered'));
});

test('align: item offsets on the patch grid (multiples of 8 within [0, 28]), every such offset used', async () => {
  const textures = await loadTextures(defaultTextureDir(), 56);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const p = placement(1, 2, i, textures, 56, 28, 8);
    for (const v of [p.itemX, p.itemY]) {
      assert.ok(v % 8 === 0 && v <= 24, `offset ${v}`);
      seen.add(v);
    }
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 8, 16, 24]);
  await assert.rejects(makeCluttered({ fashion: MINI, out: tmp(), count: 1, testCount: 1, align: 0 }), /align = 0 is outside 1..56/);
});

test('the first n images do not depend on --count (a pipeline may read a prefix of a larger generation)', async () => {
  const [a, b] = [tmp(), tmp()];
  await makeCluttered({ fashion: MINI, out: a, seed: 5, count: 40, testCount: 10 });
  await makeCluttered({ fashion: MINI, out: b, seed: 5, count: 15, testCount: 10 });
  const [x, y] = [await readIdx(join(a, FILES[0]), 3), await readIdx(join(b, FILES[0]), 3)];
  assert.deepEqual(x.data.subarray(0, 15 * 56 * 56), y.data);
});

test('preview: the first training images as written, capped at count; --preview writes a sheet of them', async () => {
  const out = tmp();
  const r = await makeCluttered({ fashion: MINI, out, seed: 3, count: 6, testCount: 2, preview: 4 });
  assert.deepEqual(r.preview, Uint8Array.from((await readIdx(join(out, FILES[0]), 3)).data.subarray(0, 4 * 56 * 56)));
  assert.equal((await makeCluttered({ fashion: MINI, out: tmp(), count: 3, testCount: 1, preview: 32 })).preview.length, 3 * 56 * 56);
  assert.equal((await makeCluttered({ fashion: MINI, out: tmp(), count: 3, testCount: 1 })).preview.length, 0);
  const png = join(tmp(), 'sheet.png');
  const log = execFileSync(process.execPath, ['bin/dlth.js', 'make-cluttered', '--fashion', MINI, '--out', tmp(), '--count', '5', '--test-count', '1', '--preview', png], { encoding: 'utf8' });
  assert.match(log, /preview of 5 images/);
  assert.equal(readFileSync(png).subarray(1, 4).toString('latin1'), 'PNG');
});
