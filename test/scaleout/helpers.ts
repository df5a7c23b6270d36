/** Synthetic ticket datasets written with the shard writer, as a single run or as N worker parts. */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createTicketWriter } from '../../src/shards/writer.js';
import { openDataset } from '../../src/shards/reader.js';
import { scoreRows, ticketRows } from '../../src/shards/rows.js';
import { DatasetKind, type DatasetMeta, type ScoreRow, type TicketRow } from '../../src/shards/types.js';
import { runSharded } from '../../src/engine/run.js';
import type { WorkerSlot } from '../../src/engine/partition.js';
import type { Source } from '../../src/sources/types.js';

export const META: DatasetMeta = {
  format: 'dlth', version: 1, kind: DatasetKind.Tickets, imageSize: [8, 8], patchSize: 4, grid: [2, 2], channels: 1,
  mean: [0.5], std: [0.25], k: 2, keep: 0.5, policy: 'ticket', seed: null, selector: null,
  source: { kind: 'synthetic', fingerprint: 'sha256:0000', classes: null }, numClasses: 10,
};
/** 5 rows per shard (a row is 84 bytes), so workers write several shards, the last one short. */
export const SHARD_BYTES = 84 * 5;

export function row(i: number): TicketRow {
  const patches = new Uint8Array(2 * 16).map((_, j) => (i * 31 + j * 7) & 255);
  return { id: `img-${String(i).padStart(5, '0')}`, label: i % 10, patches, positions: Uint16Array.of(i % 2, 2 + (i % 2)), scores: Float32Array.of(i / 3, -i) };
}

/** A source of n synthetic samples (ids img-00000, …); its samples are their own indices. */
export function syntheticSource(n: number): Source {
  return {
    kind: 'synthetic', fingerprint: 'sha256:0000', classes: null, size: n,
    ref: (i) => ({ id: row(i).id, label: i % 10, location: `mem#${i}` }),
    load: async (i) => ({ kind: 'raw', file: `mem#${i}`, image: { width: 1, height: 1, channels: 1, data: new Uint8Array(1) } }),
  };
}

/** Writes the rows of an n-row dataset through the sharded-stage engine: whole, or worker `slot`'s part. */
export async function writeDataset(dataset: string, n: number, slot: WorkerSlot | null, batchSize = 2): Promise<void> {
  await runSharded({
    label: 'test', source: syntheticSource(n), meta: META, createWriter: createTicketWriter,
    load: async (i) => i,
    process: async (batch, w) => {
      for (const d of batch) await w.write(row(d.value));
      return [];
    },
  }, { out: dataset, worker: slot, batchSize, concurrency: 2, shardBytes: SHARD_BYTES, progress: false });
}

/** Writes rows [start, end) into `dir` as a whole dataset (no engine: a plain writer). */
export async function writeRows(dir: string, start: number, end: number): Promise<void> {
  const w = await createTicketWriter({ dir, meta: META, shardBytes: SHARD_BYTES });
  for (let i = start; i < end; i++) await w.write(row(i));
  await w.finalize();
}

/** Writes worker `slot`'s part of an n-row dataset into `<dataset>/workers/<i>-of-<N>/`. */
export async function writeWorker(dataset: string, n: number, slot: WorkerSlot): Promise<void> {
  await writeDataset(dataset, n, slot);
}

export async function writeAllWorkers(dataset: string, n: number, count: number): Promise<void> {
  for (let index = 0; index < count; index++) await writeWorker(dataset, n, { index, count });
}

/** Every row of a dataset (hashes verified while reading) and its metadata. */
export async function readAll(dir: string): Promise<{ meta: DatasetMeta; rows: TicketRow[] }> {
  const ds = await openDataset(dir, { kind: DatasetKind.Tickets });
  const rows: TicketRow[] = [];
  for await (const r of ticketRows(ds, { verifyHash: true })) rows.push(r);
  return { meta: ds.meta, rows };
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `dlth-${prefix}-`));
}

/** Every row (tickets or scores, hashes verified) and the metadata of a dataset. */
export async function readContent(dir: string): Promise<{ meta: DatasetMeta; rows: (TicketRow | ScoreRow)[] }> {
  const ds = await openDataset(dir);
  const rows: (TicketRow | ScoreRow)[] = [];
  const iter = ds.manifest.kind === DatasetKind.Scores ? scoreRows(ds, { verifyHash: true }) : ticketRows(ds, { verifyHash: true });
  for await (const r of iter) rows.push(r);
  return { meta: ds.meta, rows };
}

/** Dataset directories (holding manifest.json) under `out`, relative, sorted; workers/ parts excluded. */
export async function datasetDirs(out: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isFile() && e.name === 'manifest.json') found.push(relative(out, dir));
      if (e.isDirectory() && e.name !== 'workers' && !e.name.startsWith('.')) await walk(join(dir, e.name));
    }
  };
  await walk(out);
  return found.sort();
}

/** Every file of a dataset directory but workers/ and hidden files: name → bytes (to compare runs byte for byte). */
export async function datasetFiles(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).filter((n) => n !== 'workers' && !n.startsWith('.')).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as [string, Buffer])));
}
