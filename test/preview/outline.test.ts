/**
 * Previews with the object's mask outlined (issue 26): the contour of each row's mask (matched by
 * its idx sample id, src/masks/match.ts) drawn in OUTLINE over the tile, inside the mask, closed at
 * the image's edge; library (writePreview's `masks`) and CLI (`dlth preview --masks`). Masks of
 * another size and rows that cannot be matched are refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createTicketWriter } from '../../src/shards/writer.js';
import type { DatasetMeta } from '../../src/shards/types.js';
import { encodeIdx } from '../../src/synth/idx-write.js';
import { drawOutline, OUTLINE } from '../../src/preview/outline.js';
import { sheetLayout, tileOrigin } from '../../src/preview/sheet.js';
import { writePreview } from '../../src/preview/write.js';
import { InputError } from '../../src/util/errors.js';
import { runCli } from '../cli/run-cli.js';

const S = 28;
/** Mask rectangles [top, left, bottom, right) of images 0 and 1: one inside the image, one at its top-left corner. */
const BOXES = [[8, 12, 20, 24], [0, 0, 10, 10]] as const;

let dir = '';

function meta(kind: string): DatasetMeta {
  return {
    format: 'dlth', version: 1, kind: 'tickets', imageSize: [S, S], patchSize: 4, grid: [7, 7], channels: 1,
    mean: [0.5], std: [0.5], k: 25, keep: 25 / 49, policy: 'random', seed: 1, selector: null,
    source: { kind, fingerprint: 'sha256:def', split: 'test', classes: ['a', 'b'] }, numClasses: 2,
  };
}

async function dataset(name: string, kind: string, ids: readonly string[]): Promise<string> {
  const w = await createTicketWriter({ dir: join(dir, name), meta: meta(kind) });
  const positions = Uint16Array.from({ length: 25 }, (_, i) => 2 * i);
  for (const [r, id] of ids.entries()) await w.write({ id, label: r, patches: new Uint8Array(25 * 16).fill(200), positions, scores: new Float32Array(25) });
  await w.finalize();
  return join(dir, name);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dlth-preview-outline-'));
  const masks = new Uint8Array(3 * S * S); // a third mask, for no row: ids pick theirs by index
  BOXES.forEach(([t, l, b, r], i) => {
    for (let y = t; y < b; y++) for (let x = l; x < r; x++) masks[i * S * S + y * S + x] = 1;
  });
  writeFileSync(join(dir, 'masks'), encodeIdx([3, S, S], masks));
  writeFileSync(join(dir, 'small-masks'), encodeIdx([1, 8, 8], new Uint8Array(64)));
  await dataset('ds', 'idx', ['test/00000', 'test/00001']);
  await dataset('folder', 'imagefolder', ['cat/a.png']);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('drawOutline: the mask pixels with a pixel off the mask (or off the image) within the outline width', () => {
  // 6×6 image, scale 1 (width 1): a 4×4 square at rows/cols 1..4 → its 12 border pixels, not the 2×2 inside
  const mask = new Uint8Array(36);
  for (let y = 1; y <= 4; y++) for (let x = 1; x <= 4; x++) mask[y * 6 + x] = 1;
  mask[0] = 1; // a lone pixel at the corner: its own outline
  const tile = drawOutline({ width: 6, height: 6, data: new Uint8Array(108) }, mask, 6, 6, 1);
  const drawn = new Set<number>();
  for (let i = 0; i < 36; i++) if (tile.data[3 * i] === OUTLINE[0] && tile.data[3 * i + 1] === OUTLINE[1]) drawn.add(i);
  const border = [7, 8, 9, 10, 13, 16, 19, 22, 25, 26, 27, 28];
  assert.deepEqual([...drawn].sort((a, b) => a - b), [0, ...border]);
  assert.throws(() => drawOutline({ width: 12, height: 12, data: new Uint8Array(432) }, mask, 6, 6, 1), /not a 6×6 image at scale 1/);
});

test('writePreview with masks: the outline lies on each mask\'s border (decoded PNG), kept pixels elsewhere', async () => {
  const out = join(dir, 'outlined.png');
  const r = await writePreview(join(dir, 'ds'), { out, masks: join(dir, 'masks') });
  assert.equal(r.tiles, 2);
  const l = sheetLayout(2, 4 * S, 4 * S); // 28 px images at scale 4
  const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [l.width, l.height]);
  const px = (tile: number, x: number, y: number): string => {
    const o = tileOrigin(l, tile);
    const at = ((o.y + y) * info.width + o.x + x) * 3;
    return [...data.subarray(at, at + 3)].join();
  };
  const orange = OUTLINE.join();
  // image 0: mask rows 8..19, cols 12..23 → tile pixels 32..79 × 48..95; the outline is its outer 2 px
  for (const [x, y] of [[48, 32], [49, 33], [95, 50], [94, 50], [60, 79], [60, 78], [95, 79], [70, 32]]) assert.equal(px(0, x, y), orange, `tile 0 (${x}, ${y})`);
  for (const [x, y] of [[47, 32], [48, 31], [50, 34], [96, 50], [60, 80], [72, 56], [0, 0]]) assert.notEqual(px(0, x, y), orange, `tile 0 (${x}, ${y})`);
  // a kept patch inside the mask keeps its pixels: position 2·9 = 18 (row 2, col 4) → tile pixels 64..79 × 32..47, inner part
  assert.equal(px(0, 70, 40), '200,200,200');
  // image 1: mask rows/cols 0..9 at the corner → outline along the image's edge too (tile pixels 0..39)
  for (const [x, y] of [[0, 0], [1, 20], [20, 0], [39, 20], [38, 39], [20, 39]]) assert.equal(px(1, x, y), orange, `tile 1 (${x}, ${y})`);
  for (const [x, y] of [[20, 20], [40, 20], [20, 40], [2, 20]]) assert.notEqual(px(1, x, y), orange, `tile 1 (${x}, ${y})`);
});

test('masks of another size, and rows that are not idx samples, are refused', async () => {
  const refused = (message: RegExp) => (e: unknown) => e instanceof InputError && message.test(e.message);
  await assert.rejects(writePreview(join(dir, 'ds'), { out: join(dir, 'x.png'), masks: join(dir, 'small-masks') }), refused(/masks are 8×8, the datasets' images 28×28/));
  await assert.rejects(writePreview(join(dir, 'folder'), { out: join(dir, 'x.png'), masks: join(dir, 'masks') }),
    refused(/row "cat\/a\.png" cannot be matched to the masks: rows are matched by their idx sample id/));
});

test('dlth preview --masks outlines the objects', async () => {
  const out = join(dir, 'cli.png');
  const r = await runCli(['preview', join(dir, 'ds'), '--masks', join(dir, 'masks'), '--sample', 'first', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const o = tileOrigin(sheetLayout(2, 4 * S, 4 * S), 1);
  const at = (o.y * info.width + o.x) * 3;
  assert.equal([...data.subarray(at, at + 3)].join(), OUTLINE.join());
});
