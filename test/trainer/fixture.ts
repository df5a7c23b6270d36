/**
 * Ticket datasets made straight from the embedded Fashion-MNIST IDX subset (28×28, patch 4, a
 * 7×7 grid): `full` keeps all 49 patches, `random` k per image (seeded), written with the shard
 * writer. Independent of patchify/materialize, so trainer tests isolate the trainer.
 */
import { join } from 'node:path';
import { readIdx } from '../../src/sources/idx_format.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { DatasetKind, FORMAT_NAME, FORMAT_VERSION, type DatasetMeta } from '../../src/shards/types.js';

const DATA = 'data/fashion-mnist-mini';
export const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export interface FixtureOptions {
  split: 'train' | 't10k';
  rows: number;
  /** Patches kept per image (49 = all). */
  k?: number;
  seed?: number;
  /** Override the patch size recorded in the metadata (to make a mismatched dataset). */
  patchSize?: number;
}

function meta(k: number, seed: number | null, p: number): DatasetMeta {
  const g = 28 / p;
  return {
    format: FORMAT_NAME, version: FORMAT_VERSION, kind: DatasetKind.Tickets,
    imageSize: [28, 28], patchSize: p, grid: [g, g], channels: 1, mean: [0.286], std: [0.353],
    k, keep: k / (g * g), policy: k === g * g ? 'full' : 'random', seed, selector: null,
    source: { kind: 'idx', fingerprint: 'fashion-mnist-mini', classes: CLASSES }, numClasses: 10,
  };
}

/** Patch-major grid of one image: N patches of p·p bytes, each row-major. */
function toGrid(img: Uint8Array, p: number): Uint8Array {
  const g = 28 / p;
  const out = new Uint8Array(28 * 28);
  let at = 0;
  for (let gr = 0; gr < g; gr++) for (let gc = 0; gc < g; gc++) for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) out[at++] = img[(gr * p + r) * 28 + gc * p + c];
  return out;
}

function randomPositions(n: number, k: number, state: { s: number }): Uint16Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    state.s = (Math.imul(state.s, 1664525) + 1013904223) >>> 0;
    const j = state.s % (i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return Uint16Array.from(idx.slice(0, k).sort((a, b) => a - b));
}

/** Writes the dataset to `dir` and returns `dir`. */
export async function makeFashionDataset(dir: string, o: FixtureOptions): Promise<string> {
  const p = o.patchSize ?? 4;
  const n = (28 / p) ** 2;
  const k = o.k ?? n;
  const images = await readIdx(join(DATA, `${o.split}-images-idx3-ubyte.gz`), 3);
  const labels = await readIdx(join(DATA, `${o.split}-labels-idx1-ubyte.gz`), 1);
  const writer = await createTicketWriter({ dir, meta: meta(k, k === n ? null : o.seed ?? 0, p), shardBytes: 400_000, resume: false });
  const rng = { s: o.seed ?? 0 };
  for (let i = 0; i < o.rows; i++) {
    const grid = toGrid(images.data.subarray(i * 784, (i + 1) * 784), p);
    const positions = k === n ? Uint16Array.from({ length: n }, (_, j) => j) : randomPositions(n, k, rng);
    await writer.writeVia((e) => e.appendFromGrid(`${o.split}-${i}`, labels.data[i], grid, positions, new Float32Array(k).fill(Number.NaN)));
  }
  await writer.finalize();
  return dir;
}
