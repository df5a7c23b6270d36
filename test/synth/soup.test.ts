/**
 * dlth make-cluttered --background soup: same seed → same bytes (images, labels, masks,
 * cluttered.json), the composition rule cell by cell (the item at its cell offset, every other
 * cell a cell of another item of the same split), masks exactly the item's visible square, the
 * overhang's offsets and cell weights, texture masks, and refused options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdx, type IdxArray } from '../../src/sources/idx_format.js';
import { makeCluttered } from '../../src/synth/cluttered.js';
import { compose, COMPOSE_DEFAULTS, placement } from '../../src/synth/compose.js';
import { cellWeights, soupPlacement, type SoupConfig } from '../../src/synth/soup.js';
import { defaultTextureDir, loadTextures } from '../../src/synth/textures.js';
import { InputError } from '../../src/util/errors.js';

const MINI = 'data/fashion-mnist-mini';
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 'train-masks-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 't10k-masks-idx3-ubyte.gz'];
const tmp = (): string => mkdtempSync(join(tmpdir(), 'dlth-soup-'));
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function cli(seed: number, ...extra: string[]): string {
  const out = tmp();
  execFileSync(process.execPath, ['bin/dlth.js', 'make-cluttered', '--background', 'soup', '--fashion', MINI, '--out', out, '--seed', String(seed), '--count', '40', '--test-count', '20', ...extra], { stdio: 'pipe' });
  return out;
}

test('soup: same seed → byte-identical images, labels, masks and cluttered.json; another seed → other images and masks, same labels', () => {
  const [a, b, c] = [cli(3), cli(3), cli(4)];
  for (const f of [...FILES, 'cluttered.json']) assert.equal(sha(join(a, f)), sha(join(b, f)), f);
  for (const f of ['train-images-idx3-ubyte.gz', 'train-masks-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz']) assert.notEqual(sha(join(a, f)), sha(join(c, f)), f);
  assert.equal(sha(join(a, 'train-labels-idx1-ubyte.gz')), sha(join(c, 'train-labels-idx1-ubyte.gz')));
  const prov = JSON.parse(readFileSync(join(a, 'cluttered.json'), 'utf8')) as { background: string; soup: SoupConfig };
  assert.deepEqual([prov.background, prov.soup], ['soup', { size: 49, cell: 7, overhang: 1 }]);
});

/** Cell (cx, cy) of a c-px grid of an S-wide image, as bytes. */
function cellOf(data: Uint8Array, width: number, c: number, cx: number, cy: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < c; y++) for (let x = 0; x < c; x++) out.push(data[(cy * c + y) * width + cx * c + x]);
  return out;
}

/** Checks every image of one split against the rule: object cells from item i of the split, the rest from the split's other items. */
function checkSplit(images: IdxArray, masks: IdxArray, items: IdxArray, salt: number, seed: number, c: SoupConfig): void {
  const [count, S] = images.dims;
  const side = items.dims[1];
  const C = S / c.cell;
  const m = side / c.cell;
  const item = (j: number): Uint8Array => items.data.subarray(j * side * side, (j + 1) * side * side);
  for (let i = 0; i < count; i++) {
    const p = soupPlacement(seed, salt, i, { side, total: items.dims[0] }, c);
    const img = images.data.subarray(i * S * S, (i + 1) * S * S);
    const mask = masks.data.subarray(i * S * S, (i + 1) * S * S);
    assert.ok(p.ox >= -c.overhang && p.ox <= C - m + c.overhang && p.oy >= -c.overhang && p.oy <= C - m + c.overhang);
    for (let cy = 0; cy < C; cy++) {
      for (let cx = 0; cx < C; cx++) {
        const own = cx >= p.ox && cx < p.ox + m && cy >= p.oy && cy < p.oy + m;
        const j = own ? i : p.item[cy * C + cx];
        const [sx, sy] = own ? [cx - p.ox, cy - p.oy] : [p.part[cy * C + cx] % m, Math.floor(p.part[cy * C + cx] / m)];
        if (!own) assert.ok(j !== i && j >= 0 && j < items.dims[0], `cell of item ${j}`);
        assert.deepEqual(cellOf(img, S, c.cell, cx, cy), cellOf(item(j), side, c.cell, sx, sy), `image ${i} cell ${cx},${cy}`);
        assert.ok(cellOf(mask, S, c.cell, cx, cy).every((v) => v === (own ? 1 : 0)), `mask ${i} cell ${cx},${cy}`);
      }
    }
  }
}

test('soup rule: the item at its cell offset, every other cell a cell of another item of the same split; masks = the item\'s visible square', async () => {
  for (const c of [{ size: 49, cell: 7, overhang: 1 }, { size: 42, cell: 14, overhang: 0 }]) {
    const out = tmp();
    await makeCluttered({ background: 'soup', fashion: MINI, out, seed: 2, count: 30, testCount: 12, size: c.size, align: c.cell, overhang: c.overhang });
    for (const [prefix, salt] of [['train', 1], ['t10k', 2]] as const) {
      const read = (part: string): Promise<IdxArray> => readIdx(join(out, `${prefix}-${part}-idx3-ubyte.gz`), 3);
      const items = await readIdx(join(MINI, `${prefix}-images-idx3-ubyte.gz`), 3);
      checkSplit(await read('images'), await read('masks'), items, salt, 2, c);
    }
  }
});

test('soup overhang: every offset in [−h, C − m + h] is used; background cells are weighted like visible item cells', () => {
  assert.deepEqual(cellWeights(7, 4, 0), [4, 4, 4, 4]);
  assert.deepEqual(cellWeights(7, 4, 1), [5, 6, 6, 5]);
  assert.deepEqual(cellWeights(7, 4, 2), [6, 7, 7, 6]);
  const c = { size: 49, cell: 7, overhang: 1 };
  const offsets = new Set<number>();
  const parts = new Array<number>(4).fill(0);
  for (let i = 0; i < 400; i++) {
    const p = soupPlacement(0, 1, i, { side: 28, total: 1000 }, c);
    offsets.add(p.ox);
    for (const q of p.part) if (q >= 0) parts[q % 4]++;
  }
  assert.deepEqual([...offsets].sort((a, b) => a - b), [-1, 0, 1, 2, 3, 4]);
  const total = parts.reduce((a, b) => a + b, 0);
  // columns 1 and 2 are visible at 6 of 6 offsets, columns 0 and 3 at 5: drawn 6/22 and 5/22 of the time
  assert.ok(parts.every((v, u) => Math.abs(v / total - [5, 6, 6, 5][u] / 22) < 0.01), `${parts}`);
});

test('soup: the first n images do not depend on --count (background cells come from the whole split)', async () => {
  const [a, b] = [tmp(), tmp()];
  await makeCluttered({ background: 'soup', fashion: MINI, out: a, seed: 5, count: 40, testCount: 5 });
  await makeCluttered({ background: 'soup', fashion: MINI, out: b, seed: 5, count: 15, testCount: 5 });
  for (const part of ['images', 'masks']) {
    const [x, y] = [await readIdx(join(a, `train-${part}-idx3-ubyte.gz`), 3), await readIdx(join(b, `train-${part}-idx3-ubyte.gz`), 3)];
    assert.deepEqual(x.data.subarray(0, 15 * 49 * 49), y.data, part);
  }
});

test('textures write masks too: 1 where the item is at least half opaque (item ≥ opaqueAt / 2)', async () => {
  const out = tmp();
  await makeCluttered({ fashion: MINI, out, seed: 1, count: 6, testCount: 6 });
  const textures = await loadTextures(defaultTextureDir(), 56);
  const items = await readIdx(join(MINI, 't10k-images-idx3-ubyte.gz'), 3);
  const masks = await readIdx(join(out, 't10k-masks-idx3-ubyte.gz'), 3);
  const images = await readIdx(join(out, 't10k-images-idx3-ubyte.gz'), 3);
  assert.deepEqual(masks.dims, [6, 56, 56]);
  for (let i = 0; i < 6; i++) {
    const item = items.data.subarray(i * 784, (i + 1) * 784);
    const p = placement(1, 2, i, textures, 56, 28);
    const [img, mask] = [new Uint8Array(56 * 56), new Uint8Array(56 * 56)];
    compose(item, 28, textures[p.texture], p, COMPOSE_DEFAULTS, img, mask);
    assert.deepEqual(img, Uint8Array.from(images.data.subarray(i * 3136, (i + 1) * 3136)));
    assert.deepEqual(mask, Uint8Array.from(masks.data.subarray(i * 3136, (i + 1) * 3136)));
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) assert.equal(mask[(p.itemY + y) * 56 + p.itemX + x], item[y * 28 + x] >= 32 ? 1 : 0);
    assert.equal(mask.reduce((a, v) => a + v, 0), item.reduce((a, v) => a + (v >= 32 ? 1 : 0), 0));
  }
});

test('soup: options that do not fit are refused, naming the value', async () => {
  const bad = (o: Parameters<typeof makeCluttered>[0], re: RegExp): Promise<void> =>
    assert.rejects(makeCluttered({ fashion: MINI, count: 2, testCount: 2, ...o }), (e: unknown) => e instanceof InputError && re.test(e.message));
  await bad({ out: tmp(), background: 'soup', contrast: 1 }, /contrast: the soup background has no texture/);
  await bad({ out: tmp(), background: 'soup', align: 5 }, /align = 5: soup cells must divide the 28-px item/);
  await bad({ out: tmp(), background: 'soup', size: 50 }, /size = 50 is not a multiple of the 7-px cells/);
  await bad({ out: tmp(), background: 'soup', overhang: 4 }, /overhang = 4 is outside 0..3/);
  await bad({ out: tmp(), overhang: 1 }, /overhang applies to the soup background only/);
  assert.throws(() => execFileSync(process.execPath, ['bin/dlth.js', 'make-cluttered', '--background', 'mud', '--out', tmp()], { stdio: 'pipe' }), /choices/);
});
