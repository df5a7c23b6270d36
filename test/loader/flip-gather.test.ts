/**
 * Flipping while gathering gives the bytes of copying a row and then flipping it in place
 * (flipRow): the SIMD kernel and the scalar mirror alike, for every geometry, and through the loader
 * for block/none shuffles, subsets and the mean-content ablation.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import type { LoaderOptions } from '../../src/loader/options.js';
import { flipOrder, flipRow, type FlipGeometry } from '../../src/loader/augment/flip.js';
import { createRowFlipper } from '../../src/loader/augment/flipper.js';
import { mirrorChunks } from '../../src/loader/augment/mirror-wasm.js';
import { Rng } from '../../src/loader/rng.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { collect, tempDir, ticketMeta, ticketRows, writeDataset, type CopiedBatch } from './helpers.js';

function randomRow(gh: number, gw: number, k: number, size: number, rng: Rng): { patches: Uint8Array; positions: Uint16Array; scores: Float32Array } {
  const all = Array.from({ length: gh * gw }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  const positions = Uint16Array.from(all.slice(0, k).sort((a, b) => a - b));
  return {
    patches: Uint8Array.from({ length: k * size }, () => rng.next() & 0xff),
    positions,
    scores: Float32Array.from(positions, () => rng.next() / 2 ** 32),
  };
}

// [grid h, grid w, p, C, k]: rows of ≥ 16 bytes, shorter rows, 1 channel, odd sizes, a patch under 16 bytes.
const geometries: Array<[number, number, number, number, number]> = [
  [14, 14, 16, 3, 98], [4, 4, 8, 3, 6], [16, 16, 14, 3, 100], [7, 7, 4, 1, 20], [3, 5, 4, 1, 15],
  [4, 4, 32, 3, 10], [2, 7, 3, 2, 1], [4, 4, 2, 3, 7], [5, 3, 5, 4, 9], [6, 6, 6, 1, 36],
];

for (const [gh, gw, p, c, k] of geometries) {
  test(`flipper ${p}×${p}×${c}, k=${k}: mirror into a batch row = copy, then flipRow (SIMD ${mirrorChunks(p, c) ? 'and scalar' : 'n/a: scalar'})`, () => {
    const geo: FlipGeometry = { patchSize: p, channels: c, gridWidth: gw };
    const size = p * p * c;
    const rng = new Rng(p * 100 + c * 10 + k);
    for (const simd of [true, false]) {
      const flipper = createRowFlipper(geo, k, 3, { simd });
      for (let trial = 0; trial < 4; trial++) {
        const row = randomRow(gh, gw, k, size, rng);
        const want = { patches: row.patches.slice(), positions: row.positions.slice(), scores: row.scores.slice() };
        flipRow(want.patches, want.positions, want.scores, geo);
        const src = new Uint8Array(7 + row.patches.length);
        src.set(row.patches, 7);
        const positions = new Uint16Array(k);
        flipOrder(row.positions, 0, k, gw, flipper.perm, positions, 0);
        const before = flipper.patches.slice();
        flipper.flip(src, 7, 1);
        assert.deepEqual(flipper.patches.subarray(k * size, 2 * k * size), want.patches, `simd ${simd}: patches`);
        assert.deepEqual(flipper.patches.subarray(0, k * size), before.subarray(0, k * size), 'row 0 untouched');
        assert.deepEqual(flipper.patches.subarray(2 * k * size), before.subarray(2 * k * size), 'row 2 untouched');
        assert.deepEqual(positions, want.positions, 'positions');
        assert.deepEqual(Float32Array.from(flipper.perm, (j) => row.scores[j]), want.scores, 'scores follow their patch');
      }
    }
  });
}

test('mirrorChunks: every output byte is covered, each from one 32-byte window', () => {
  for (const [, , p, c] of geometries) {
    const chunks = mirrorChunks(p, c);
    if (!chunks) continue;
    const covered = new Uint8Array(p * p * c);
    for (const ch of chunks) {
      assert.ok(ch.lanes.every((l) => l >= 0 && l < 32));
      for (let j = 0; j < 16; j++) covered[ch.out + j] = 1;
    }
    assert.ok(covered.every((x) => x === 1), `${p}×${p}×${c}`);
  }
});

const meta = ticketMeta({ image: 32, patch: 8, channels: 3, k: 6 });
const rows = ticketRows(meta, 150, 11);
let dir = '';
/** The same rows in shards of several record batches (a run of rows must stop at a record batch's end). */
let multi = '';

before(async () => {
  dir = join(await tempDir(), 'ds');
  await writeDataset(dir, meta, rows);
  multi = join(await tempDir(), 'multi');
  const w = await createTicketWriter({ dir: multi, meta, shardBytes: 60_000, batchBytes: 6_000 });
  for (const r of rows) await w.write(r);
  await w.finalize();
});

test('rows copied in runs: every row as written, across record batches and shards', async () => {
  const R = meta.k * meta.patchSize * meta.patchSize * meta.channels;
  for (const options of [{ shuffle: 'none', batchSize: 23 }, { shuffle: 'none', batchSize: 150 }, { shuffle: 'shard', batchSize: 7 }] as const) {
    const batches = await collect((await TicketLoader.open([multi], options)).batches(0));
    let seen = 0;
    for (const b of batches) {
      b.ids.forEach((id, i) => {
        const r = rows[b.indices[i]];
        assert.equal(r.id, id);
        assert.deepEqual(b.patches.subarray(i * R, (i + 1) * R), r.patches, `${id}: patches`);
        assert.deepEqual(b.positions.subarray(i * meta.k, (i + 1) * meta.k), r.positions, `${id}: positions`);
        assert.deepEqual(b.scores.subarray(i * meta.k, (i + 1) * meta.k), r.scores, `${id}: scores`);
        assert.equal(b.labels[i], r.label ?? -1);
        seen++;
      });
    }
    assert.equal(seen, rows.length);
  }
});

/** The batches without flipping, each row flipped in place afterwards where the flipped loader flipped it. */
function flippedAfterwards(plain: CopiedBatch[], flipped: CopiedBatch[], k: number): CopiedBatch[] {
  const geo: FlipGeometry = { patchSize: meta.patchSize, channels: meta.channels, gridWidth: meta.grid[1] };
  const R = k * meta.patchSize * meta.patchSize * meta.channels;
  return plain.map((b, bi) => {
    const out = { ...b, flipped: flipped[bi].flipped, patches: b.patches.slice(), positions: b.positions.slice(), scores: b.scores.slice() };
    out.flipped.forEach((f, i) => {
      if (f) flipRow(out.patches.subarray(i * R, i * R + R), out.positions.subarray(i * k, i * k + k), out.scores.subarray(i * k, i * k + k), geo);
    });
    return out;
  });
}

const cases: Array<[string, LoaderOptions, number]> = [
  ['block', { shuffle: 'block', block: 40, batchSize: 16, seed: 5 }, meta.k],
  ['none (runs of rows)', { shuffle: 'none', batchSize: 23, seed: 2 }, meta.k],
  ['block, subset 4', { shuffle: 'block', block: 64, batchSize: 10, seed: 3, subset: 4 }, 4],
  ['shard, content mean', { shuffle: 'shard', batchSize: 16, seed: 9, content: 'mean' }, meta.k],
];

for (const [name, options, k] of cases) {
  test(`loader ${name}: flipped batches = plain batches flipped in place afterwards`, async () => {
    for (const location of [dir, multi]) {
      for (const epoch of [0, 1]) {
        const plain = await collect((await TicketLoader.open([location], options)).batches(epoch));
        const flipped = await collect((await TicketLoader.open([location], { ...options, flip: true })).batches(epoch));
        assert.ok(flipped.some((b) => b.flipped.includes(1)) && flipped.some((b) => b.flipped.includes(0)));
        assert.deepEqual(flipped, flippedAfterwards(plain, flipped, k));
      }
    }
  });
}
