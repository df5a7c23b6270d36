/**
 * The rules of views (src/views/): which view a reader picks per (seed, epoch, sample), how a
 * view's crop is drawn (timm's RandomResizedCrop sampling), and the options' bad values, each one
 * line naming the option. The golden file (test/fixtures/views/make.ts) pins both rules; the
 * Python package checks the picks against the same file (python/tests/test_view_pick.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { viewCrop } from '../../src/views/crop.js';
import { checkViewIndex, pickView } from '../../src/views/pick.js';
import { resolveViews, VIEWS_DEFAULTS } from '../../src/views/spec.js';
import type { RowView, ViewsMeta } from '../../src/shards/types.js';
import { InputError } from '../../src/util/errors.js';

interface Golden {
  picks: { seed: number; epoch: number; id: string; count: number; fixed: number | null; view: number }[];
  crops: ({ views: ViewsMeta; id: string; view: number; width: number; height: number } & Omit<RowView, 'index'>)[];
}

const golden = JSON.parse(readFileSync(new URL('../fixtures/views/golden.json', import.meta.url), 'utf8')) as Golden;
const DEFAULT: ViewsMeta = { count: 8, scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: 0.5, seed: 0 };

test('views: picks and crops equal the golden file', () => {
  assert.ok(golden.picks.length > 200 && golden.crops.length > 100);
  for (const p of golden.picks) assert.equal(pickView(p.seed, p.epoch, p.id, p.count, p.fixed ?? undefined), p.view, JSON.stringify(p));
  for (const c of golden.crops) {
    const got = viewCrop(c.views, c.id, c.view, c.width, c.height);
    assert.deepEqual([got.index, got.box, got.flip], [c.view, c.box, c.flip], JSON.stringify(c));
  }
});

test('views: a random pick is one of views 1…K−1, uniform, redrawn per epoch; K = 1 and a fixed index are what they say', () => {
  const counts = new Array<number>(5).fill(0);
  let changed = 0;
  for (let i = 0; i < 4000; i++) {
    const v = pickView(3, 0, `img${i}`, 5);
    counts[v]++;
    if (pickView(3, 1, `img${i}`, 5) !== v) changed++;
    assert.equal(pickView(3, 0, `img${i}`, 1), 0);
    assert.equal(pickView(3, 0, `img${i}`, 5, 0), 0);
  }
  assert.equal(counts[0], 0, 'training never yields the plain view');
  for (const c of counts.slice(1)) assert.ok(Math.abs(c - 1000) < 150, `counts ${counts.join(',')}`);
  assert.ok(changed > 2500, 'another epoch draws again');
});

test('views: every crop lies inside its image with timm\'s area and aspect bounds (or is the centre fallback); view 0 is plain', () => {
  const sizes: [number, number][] = [[28, 28], [640, 480], [480, 640], [37, 501], [4, 501]];
  let fallbacks = 0;
  for (const [w, h] of sizes) {
    for (let i = 0; i < 300; i++) {
      const id = `x${i}`;
      assert.deepEqual(viewCrop(DEFAULT, id, 0, w, h), { index: 0, box: [0, 0, 0, 0], flip: false });
      const v = 1 + (i % 7);
      const c = viewCrop(DEFAULT, id, v, w, h);
      assert.deepEqual(c, viewCrop(DEFAULT, id, v, w, h), 'deterministic');
      const [left, top, cw, ch] = c.box;
      assert.ok(cw > 0 && ch > 0 && left >= 0 && top >= 0 && left + cw <= w && top + ch <= h, `${w}×${h} ${id}: ${c.box.join(',')}`);
      const whole = cw === w || ch === h;
      const area = (cw * ch) / (w * h);
      const inside = area >= 0.08 * 0.8 && area <= 1.0001 && cw / ch >= (3 / 4) * 0.8 && cw / ch <= (4 / 3) * 1.25;
      if (!inside) {
        assert.ok(whole, `${w}×${h} ${id} v${v}: ${c.box.join(',')} is neither a timm crop nor the fallback`);
        fallbacks++;
      }
    }
  }
  assert.ok(fallbacks > 0, 'the 4×501 image needs the centre fallback');
  // Tiny images: rounding may leave timm's bounds, never the image.
  for (const [w, h] of [[1, 1], [3, 2], [2, 9]] as const) {
    for (let v = 1; v < 8; v++) {
      const [left, top, cw, ch] = viewCrop(DEFAULT, 'tiny', v, w, h).box;
      assert.ok(cw > 0 && ch > 0 && left + cw <= w && top + ch <= h);
    }
  }
  const flips = Array.from({ length: 2000 }, (_, i) => viewCrop(DEFAULT, `f${i}`, 1, 100, 100).flip).filter(Boolean).length;
  assert.ok(Math.abs(flips - 1000) < 120, `${flips} flips of 2000 at p = 0.5`);
  assert.ok([1, 2, 3].every((v) => !viewCrop({ ...DEFAULT, flip: 0 }, 'a', v, 50, 50).flip));
});

test('views: the crop depends on seed, id and view, not on anything else', () => {
  const a = viewCrop(DEFAULT, 'img', 1, 500, 375);
  assert.notDeepEqual(viewCrop({ ...DEFAULT, seed: 1 }, 'img', 1, 500, 375).box, a.box);
  assert.notDeepEqual(viewCrop(DEFAULT, 'img', 2, 500, 375).box, a.box);
  assert.notDeepEqual(viewCrop(DEFAULT, 'img2', 1, 500, 375).box, a.box);
  assert.deepEqual(viewCrop({ ...DEFAULT, count: 64 }, 'img', 1, 500, 375), a, 'K does not change view 1');
});

test('views options: defaults are timm\'s; K = 1 is no views; every bad value is one line naming the option', () => {
  assert.equal(resolveViews(), undefined);
  assert.equal(resolveViews({ count: 1 }), undefined);
  assert.deepEqual(resolveViews({ count: 4 }), { count: 4, scale: [...VIEWS_DEFAULTS.scale], ratio: [...VIEWS_DEFAULTS.ratio], flip: 0.5, seed: 0 });
  const names = { count: '--views', scale: '--crop-scale', ratio: '--crop-ratio', flip: '--view-flip', seed: '--views-seed' };
  const bad: [Parameters<typeof resolveViews>[0], RegExp][] = [
    [{ count: 0 }, /^--views is 0, expected an integer in \[1, 64\]/],
    [{ count: 65 }, /^--views is 65, expected an integer in \[1, 64\]/],
    [{ count: 2.5 }, /^--views is 2\.5/],
    [{ count: 4, scale: [0, 1] }, /^--crop-scale is \[0,1\], expected two numbers \(min, max\) in \(0, 1\]$/],
    [{ count: 4, scale: [0.5, 1.5] }, /^--crop-scale is \[0\.5,1\.5\], expected/],
    [{ count: 4, scale: [0.9, 0.5] }, /^--crop-scale is \[0\.9,0\.5\]: min 0\.9 > max 0\.5$/],
    [{ count: 4, scale: [0.5] }, /^--crop-scale is \[0\.5\], expected two numbers/],
    [{ count: 4, ratio: [0, 1] }, /^--crop-ratio is \[0,1\], expected two numbers \(min, max\) > 0$/],
    [{ count: 4, ratio: [-1, 1] }, /^--crop-ratio is \[-1,1\]/],
    [{ count: 4, ratio: [2, 1] }, /^--crop-ratio is \[2,1\]: min 2 > max 1$/],
    [{ count: 4, flip: 1.5 }, /^--view-flip is 1\.5, expected a probability in \[0, 1\]$/],
    [{ count: 4, seed: -1 }, /^--views-seed is -1, expected an integer ≥ 0$/],
    [{ count: 1, scale: [0.5, 1] }, /^--crop-scale needs --views ≥ 2: view 0 is the plain view/],
    [{ scale: [0.5, 1], ratio: [1, 1] }, /^--crop-scale, --crop-ratio need --views ≥ 2/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => resolveViews(options, names), (err: unknown) => err instanceof InputError && message.test(err.message) && !err.message.includes('\n'), JSON.stringify(options));
  }
  assert.throws(() => checkViewIndex(4, 4, 'view index', '/d'), /^InputError: \/d: view index is 4, but the dataset holds views 0…3$/);
  assert.throws(() => checkViewIndex(1, 1, 'view index', '/d'), /view index is 1, but the dataset holds only view 0 \(no views: K = 1\)/);
  checkViewIndex(0, 1, 'view index', '/d');
  checkViewIndex(undefined, 1, 'view index', '/d');
});
