import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createTicketWriter } from '../../src/shards/writer.js';
import type { DatasetMeta } from '../../src/shards/types.js';
import { captionSvg, titleText } from '../../src/preview/caption.js';
import { DROPPED_BASE, DROPPED_HATCH, renderTile } from '../../src/preview/tile.js';
import { sheetLayout, tileOrigin } from '../../src/preview/sheet.js';
import { writePreview } from '../../src/preview/write.js';

function meta(k: number): DatasetMeta {
  return {
    format: 'dlth', version: 1, kind: 'tickets', imageSize: [28, 28], patchSize: 4, grid: [7, 7], channels: 1,
    mean: [0.286], std: [0.353], k, keep: k / 49, policy: 'ticket', kDerivation: 'evit-rate', seed: null,
    selector: { fingerprint: 'sha256:abc', model: 'vit-micro-p4-28', mode: 'evit', params: { rate: 0.7, blocks: [1, 2, 3] } },
    source: { kind: 'idx', fingerprint: 'sha256:def', classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat'] },
    numClasses: 5,
  };
}

test('renderTile places kept patches, upscales with nearest neighbour, hatches dropped patches', () => {
  const g = { height: 8, width: 8, patchSize: 4, gridW: 2, channels: 1 };
  const patches = new Uint8Array(2 * 16);
  patches.fill(200, 0, 16); // position 1 (top right)
  patches.fill(10, 16, 32); // position 2 (bottom left)
  const t = renderTile(patches, Uint16Array.from([1, 2]), g, 3);
  assert.equal(t.width, 24);
  assert.equal(t.height, 24);
  const px = (x: number, y: number): number[] => [...t.data.subarray((y * 24 + x) * 3, (y * 24 + x) * 3 + 3)];
  assert.deepEqual(px(12, 0), [200, 200, 200]);
  assert.deepEqual(px(23, 11), [200, 200, 200]);
  assert.deepEqual(px(0, 12), [10, 10, 10]);
  for (const [x, y] of [[0, 0], [5, 3], [20, 20]]) {
    assert.ok([DROPPED_BASE, DROPPED_HATCH].some((c) => px(x, y).join() === c.join()), `dropped at ${x},${y}`);
  }
  assert.throws(() => renderTile(patches, Uint16Array.from([1]), g, 1), /patch bytes/);
  assert.throws(() => renderTile(patches, Uint16Array.from([1, 4]), g, 1), /outside/);
});

test('sheet layout, title and captions (escaped, class names)', () => {
  const l = sheetLayout(16, 112, 112);
  assert.equal(l.columns, 4);
  assert.equal(l.rows, 4);
  assert.deepEqual(tileOrigin(l, 5), { x: l.pad + 120, y: l.headerHeight + l.pad + 150 });
  const svg = captionSvg(l, titleText(meta(25), 'ticket@0.5'), ['T-shirt/top', 'a<b&c']);
  assert.match(svg, /T-shirt\/top/);
  assert.match(svg, /a&lt;b&amp;c/);
  const [t1, t2] = titleText(meta(25), 'x');
  assert.match(t1, /^x · ticket · k = 25\/49 \(51.0%\) · k from evit-rate$/);
  assert.match(t2, /selector vit-micro-p4-28 · evit rate=0.7 blocks=1,2,3 · sha256:abc/);
  assert.match(titleText({ ...meta(18), evitTicket: { rate: 0.7, survivors: 18, taken: 'survivors' } }, 'x')[0], /k = 18\/49 \(36.7%\) · the r = 0.7 EViT ticket$/);
  assert.match(titleText({ ...meta(25), evitTicket: { rate: 0.7, survivors: 18, taken: 'rank-prefix' } }, 'x')[0], /prefix of the r = 0.7 rank, not an EViT ticket \(EViT keeps 18\)$/);
});

test('writePreview writes a PNG of the expected size from a ticket dataset', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dlth-preview-'));
  try {
    const m = meta(25);
    const w = await createTicketWriter({ dir: join(dir, 'ds'), meta: m });
    for (let r = 0; r < 5; r++) {
      const positions = Uint16Array.from({ length: 25 }, (_, i) => i * 2 - (i * 2 >= 49 ? 49 : 0)).sort();
      await w.write({ id: `s${r}`, label: r, patches: new Uint8Array(25 * 16).fill(40 * r + 30), positions, scores: new Float32Array(25) });
    }
    await w.finalize();
    const out = join(dir, 'sheet.png');
    const res = await writePreview(join(dir, 'ds'), { n: 16, out });
    assert.equal(res.tiles, 5);
    const l = sheetLayout(5, 112, 112);
    const info = await sharp(out).metadata();
    assert.equal(info.format, 'png');
    assert.deepEqual([info.width, info.height], [l.width, l.height]);
    assert.deepEqual([res.width, res.height], [l.width, l.height]);
    // the first tile's top-left patch (position 0, kept) has the row's pixel value
    const { data } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { x, y } = tileOrigin(l, 0);
    assert.equal(data[(y * l.width + x) * 3], 30);
    await assert.rejects(writePreview(join(dir, 'ds'), { n: 0, out }), /n must be/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
