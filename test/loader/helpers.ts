/** Test helpers: small synthetic ticket datasets written with the shard writer, and batch collection. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTicketWriter } from '../../src/shards/writer.js';
import { LocalStore, type DatasetStore, type ShardSource } from '../../src/shards/store.js';
import type { DatasetMeta, TicketRow } from '../../src/shards/types.js';
import type { Batch } from '../../src/loader/batch.js';
import { Rng } from '../../src/loader/rng.js';

export interface Shape {
  image?: number;
  patch?: number;
  channels?: number;
  k?: number;
}

export function ticketMeta(shape: Shape = {}): DatasetMeta {
  const image = shape.image ?? 32;
  const patch = shape.patch ?? 8;
  const channels = shape.channels ?? 3;
  const g = image / patch;
  const k = shape.k ?? 6;
  return {
    format: 'dlth', version: 1, kind: 'tickets', imageSize: [image, image], patchSize: patch, grid: [g, g], channels,
    mean: Array(channels).fill(0.5), std: Array(channels).fill(0.25), k, keep: k / (g * g), policy: 'random', seed: 3,
    selector: null, source: { kind: 'synthetic', fingerprint: 'sha256:loader-test', classes: null }, numClasses: 10,
  };
}

export function ticketRows(meta: DatasetMeta, count: number, seed = 1, prefix = 's'): TicketRow[] {
  const rng = new Rng(seed);
  const n = meta.grid[0] * meta.grid[1];
  const pb = meta.patchSize * meta.patchSize * meta.channels;
  return Array.from({ length: count }, (_, i) => {
    const picked = new Set<number>();
    while (picked.size < meta.k) picked.add(rng.below(n));
    const positions = Uint16Array.from([...picked].sort((a, b) => a - b));
    const patches = Uint8Array.from({ length: meta.k * pb }, () => rng.next() & 0xff);
    const scores = Float32Array.from({ length: meta.k }, () => rng.next() / 2 ** 32);
    return { id: `${prefix}${String(i).padStart(5, '0')}`, label: i % 7 === 6 ? null : i % 10, patches, positions, scores };
  });
}

/** Views metadata of K views (defaults as timm's RandomResizedCrop). */
export function viewsMeta(count: number, seed = 0): NonNullable<DatasetMeta['views']> {
  return { count, scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: 0.5, seed };
}

/** `count` images of K views each (meta.views): K rows per image in view order, one id, each view its own patches. */
export function ticketViewRows(meta: DatasetMeta, count: number, seed = 1, prefix = 's'): TicketRow[] {
  const K = meta.views?.count ?? 1;
  const rows = ticketRows(meta, count * K, seed, prefix);
  return rows.map((r, i) => {
    const image = Math.floor(i / K);
    const id = `${prefix}${String(image).padStart(5, '0')}`;
    return { ...r, id, label: image % 7 === 6 ? null : image % 10, view: i % K };
  });
}

export async function tempDir(prefix = 'dlth-loader-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes rows into `dir` as a dataset with shards of about `shardBytes`. */
export async function writeDataset(dir: string, meta: DatasetMeta, rows: readonly TicketRow[], shardBytes = 16_000): Promise<void> {
  // batchBytes = shardBytes: the writer cuts auto-mode shards only when R is a multiple of the batch rows.
  const w = await createTicketWriter({ dir, meta, shardBytes, batchBytes: shardBytes });
  for (const r of rows) await w.write(r);
  await w.finalize();
}

/** A copy of a batch (its arrays are only valid until the next one is requested). */
export interface CopiedBatch {
  size: number;
  ids: string[];
  labels: number[];
  indices: number[];
  flipped: number[];
  patches: Uint8Array;
  positions: Uint16Array;
  scores: Float32Array;
  index: number;
  state: Batch['state'];
}

export function copyBatch(b: Batch): CopiedBatch {
  return {
    size: b.size, ids: [...b.ids], labels: [...b.labels], indices: [...b.indices], flipped: [...b.flipped],
    patches: b.patches.slice(), positions: b.positions.slice(), scores: b.scores.slice(), index: b.index, state: b.state,
  };
}

export async function collect(batches: AsyncIterable<Batch>): Promise<CopiedBatch[]> {
  const out: CopiedBatch[] = [];
  for await (const b of batches) out.push(copyBatch(b));
  return out;
}

/** A LocalStore that records which shards were opened. */
export class CountingStore extends LocalStore implements DatasetStore {
  readonly opened: string[] = [];
  override async openShard(name: string): Promise<ShardSource> {
    this.opened.push(name);
    return super.openShard(name);
  }
}
