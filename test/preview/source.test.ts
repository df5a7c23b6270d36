/**
 * Previews show what a ticket dropped: given the source the dataset was made from, each dropped
 * patch shows the image's own pixels dimmed (DROPPED_DIM of the pixel over the hatched grey), kept
 * patches exactly; without it, dropped patches are the plain hatched grey. A source whose image does
 * not reproduce the row's kept patches, or lacks the row, is refused. Library and CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { patchify } from '../../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { DROPPED_BASE, DROPPED_DIM, DROPPED_HATCH } from '../../src/preview/tile.js';
import { sheetLayout, tileOrigin } from '../../src/preview/sheet.js';
import { writePreview } from '../../src/preview/write.js';
import { readTickets } from '../shards/helpers.js';
import { openSource } from '../../src/sources/open.js';
import type { Source } from '../../src/sources/types.js';
import { materialize } from '../../src/tickets/materialize.js';
import { InputError } from '../../src/util/errors.js';
import { runCli } from '../cli/run-cli.js';

const DATA = resolve('data/fashion-mnist-mini');
const cfg = resolvePatchifyConfig({ imageSize: 28, patchSize: 4, channels: 1, resize: 'none' });
let dir = '';
let source: Source;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dlth-preview-src-'));
  source = await openSource({ kind: 'idx', dir: DATA, split: 'test', limit: 12 });
  await materialize({ source, patchify: cfg, policy: 'random', keep: 0.5, seed: 3, split: 'test', engine: { out: join(dir, 'random'), progress: false } });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The sheet's pixel (grey value of channel 0) at (x, y) of tile 0, for a sheet of `tiles` 28×28 tiles. */
async function tilePixels(png: string, tiles: number): Promise<(x: number, y: number) => number[]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { x: ox, y: oy } = tileOrigin(sheetLayout(tiles, 28, 28), 0);
  return (x, y) => [...data.subarray(((oy + y) * info.width + ox + x) * 3, ((oy + y) * info.width + ox + x) * 3 + 3)];
}

/** What a dropped pixel of value v at tile (x, y) looks like (scale 1: hatch lines where (x + y) % 4 = 0). */
function dimmed(v: number, x: number, y: number): number[] {
  const grey = (x + y) % 4 === 0 ? DROPPED_HATCH : DROPPED_BASE;
  return grey.map((g) => Math.round(DROPPED_DIM * v + (1 - DROPPED_DIM) * g));
}

test('with the source, dropped patches show the image dimmed and hatched; kept patches exact; without it, plain grey', async () => {
  const [row] = await readTickets(join(dir, 'random'));
  const full = (await patchify(await source.load(0), cfg)).patches;
  const kept = new Set(row.positions);
  const dropped = [...Array(49).keys()].find((p) => !kept.has(p)) as number;
  const keptPos = row.positions[0];
  const at = (pos: number, px: number, py: number) => ({ x: (pos % 7) * 4 + px, y: Math.floor(pos / 7) * 4 + py, v: full[pos * 16 + py * 4 + px] });

  const withSource = join(dir, 'with.png');
  await writePreview(join(dir, 'random'), { n: 1, sample: 'first', out: withSource, tileSize: 28, source });
  const pixel = await tilePixels(withSource, 1);
  for (let py = 0; py < 4; py++) {
    for (let px = 0; px < 4; px++) {
      const d = at(dropped, px, py);
      assert.deepEqual(pixel(d.x, d.y), dimmed(d.v, d.x, d.y), `dropped patch ${dropped} at ${px},${py}`);
      const k = at(keptPos, px, py);
      assert.deepEqual(pixel(k.x, k.y), [k.v, k.v, k.v], `kept patch ${keptPos}`);
    }
  }
  const bright = [...Array(49).keys()].filter((p) => !kept.has(p) && full.subarray(p * 16, p * 16 + 16).some((v) => v > 100));
  assert.ok(bright.length > 0, 'the image has content where the ticket dropped it');

  const without = join(dir, 'without.png');
  await writePreview(join(dir, 'random'), { n: 1, sample: 'first', out: without, tileSize: 28 });
  const plain = await tilePixels(without, 1);
  const b = at(bright[0], 0, 0);
  assert.ok([DROPPED_BASE, DROPPED_HATCH].some((c) => c.join() === plain(b.x, b.y).join()));
  assert.notDeepEqual(pixel(b.x, b.y), plain(b.x, b.y));
});

test('a source that is not the one the dataset was made from is refused', async () => {
  const train = await openSource({ kind: 'idx', dir: DATA, split: 'train', limit: 12 });
  await assert.rejects(writePreview(join(dir, 'random'), { n: 2, sample: 'first', out: join(dir, 'x.png'), source: train }),
    (e: unknown) => e instanceof InputError && /row "test\/00000" of the dataset is not in the idx source: pass the source the dataset was made from/.test(e.message));
  const renamed: Source = { ...train, ref: (i) => ({ ...train.ref(i), id: train.ref(i).id.replace('train/', 'test/') }), load: (i) => train.load(i) };
  await assert.rejects(writePreview(join(dir, 'random'), { n: 2, sample: 'first', out: join(dir, 'x.png'), source: renamed }),
    (e: unknown) => e instanceof InputError && /row "test\/00000": this image decodes to other pixels than the dataset's kept patch \d+/.test(e.message));
});

test('dlth preview --source idx --root <dir>: the split comes from the dataset, dropped patches are dimmed', async () => {
  const out = join(dir, 'cli.png');
  const r = await runCli(['preview', join(dir, 'random'), '--source', 'idx', '--root', DATA, '--limit', '12', '-n', '1', '--sample', 'first', '--tile-size', '28', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const [row] = await readTickets(join(dir, 'random'));
  const full = (await patchify(await source.load(0), cfg)).patches;
  const dropped = [...Array(49).keys()].find((p) => !row.positions.includes(p) && full[p * 16] > 100);
  assert.ok(dropped !== undefined);
  const x = (dropped % 7) * 4;
  const y = Math.floor(dropped / 7) * 4;
  assert.deepEqual((await tilePixels(out, 1))(x, y), dimmed(full[dropped * 16], x, y));
  const wrong = await runCli(['preview', join(dir, 'random'), '--source', 'idx', '--root', DATA, '--split', 'train', '-o', join(dir, 'no.png')]);
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.equal(wrong.lines.length, 1, wrong.stderr);
});

test('a JPEG-encoded dataset previews with its source (kept patches within the encoding\'s loss); another source is still refused', async () => {
  const photos = await openSource({ kind: 'idx', dir: DATA, split: 'test', limit: 12 });
  const cfg8 = resolvePatchifyConfig({ imageSize: 24, patchSize: 8, channels: 1, resize: 'fixed' });
  const jpeg = join(dir, 'jpeg');
  await materialize({ source: photos, patchify: cfg8, policy: 'random', keep: 0.5, seed: 3, split: 'test', patchEncoding: 'jpeg', jpegQuality: 50, engine: { out: jpeg, progress: false } });
  await writePreview(jpeg, { n: 4, sample: 'first', out: join(dir, 'jpeg.png'), source: photos });
  const train = await openSource({ kind: 'idx', dir: DATA, split: 'train', limit: 12 });
  const renamed: Source = { ...train, ref: (i) => ({ ...train.ref(i), id: train.ref(i).id.replace('train/', 'test/') }), load: (i) => train.load(i) };
  await assert.rejects(writePreview(jpeg, { n: 2, sample: 'first', out: join(dir, 'y.png'), source: renamed }),
    (e: unknown) => e instanceof InputError && /row "test\/00000": this image's pixels differ from the dataset's JPEG-encoded kept patches by [\d.]+ on average/.test(e.message));
});
