/** Test helpers: metadata, deterministic synthetic rows, writing a dataset, reading it back. */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/shards/reader.js';
import { scoreRows, ticketRows } from '../../src/shards/rows.js';
import { DatasetKind, type DatasetMeta, type ScoreRow, type TicketRow } from '../../src/shards/types.js';
import { createScoreWriter, createTicketWriter, type FinalizeResult, type WriterOptions } from '../../src/shards/writer.js';

export interface MetaShape {
  image?: number;
  patch?: number;
  channels?: number;
  k?: number;
  kind?: DatasetKind;
  numClasses?: number | null;
}

export function makeMeta(shape: MetaShape = {}): DatasetMeta {
  const image = shape.image ?? 32;
  const patch = shape.patch ?? 8;
  const channels = shape.channels ?? 3;
  const g = image / patch;
  const n = g * g;
  const kind = shape.kind ?? DatasetKind.Tickets;
  const k = kind === DatasetKind.Scores ? n : (shape.k ?? Math.ceil(n / 2));
  return {
    format: 'dlth', version: 1, kind, imageSize: [image, image], patchSize: patch, grid: [g, g], channels,
    mean: Array(channels).fill(0.5), std: Array(channels).fill(0.25), k, keep: k / n,
    policy: kind === DatasetKind.Scores ? null : 'random', seed: kind === DatasetKind.Scores ? null : 7, selector: null,
    source: { kind: 'synthetic', fingerprint: 'sha256:test', classes: null }, numClasses: shape.numClasses === undefined ? 10 : shape.numClasses,
  };
}

/** A small deterministic generator (tests only). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const IDS = ['a', 'ß-straße', '日本語', '🦊 fox', 'x'.repeat(100), '', 'tab\tid'];

export function makeTicketRows(meta: DatasetMeta, count: number, seed = 1): TicketRow[] {
  const rand = lcg(seed);
  const n = meta.grid[0] * meta.grid[1];
  const pb = meta.patchSize * meta.patchSize * meta.channels;
  return Array.from({ length: count }, (_, i) => {
    const picked = new Set<number>();
    while (picked.size < meta.k) picked.add(Math.floor(rand() * n));
    const positions = Uint16Array.from([...picked].sort((a, b) => a - b));
    const patches = Uint8Array.from({ length: meta.k * pb }, () => Math.floor(rand() * 256));
    const scores = Float32Array.from({ length: meta.k }, (_, j) => (j % 3 === 0 ? NaN : rand() - 0.5));
    const label = i % 4 === 3 ? null : Math.floor(rand() * (meta.numClasses ?? 10));
    return { id: `${String(i).padStart(5, '0')}-${IDS[i % IDS.length]}`, label, patches, positions, scores };
  });
}

export function makeScoreRows(meta: DatasetMeta, count: number, seed = 1): ScoreRow[] {
  const rand = lcg(seed);
  const n = meta.grid[0] * meta.grid[1];
  return Array.from({ length: count }, (_, i) => {
    const scores = Float32Array.from({ length: n }, () => rand());
    const rank = Uint16Array.from([...Array(n).keys()].sort((a, b) => scores[b] - scores[a] || a - b));
    return { id: `s${i}`, label: i % 5 === 0 ? null : i % 10, scores, rank };
  });
}

export async function tempDir(prefix = 'dlth-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function writeTickets(dir: string, meta: DatasetMeta, rows: readonly TicketRow[], options: Partial<WriterOptions> = {}): Promise<FinalizeResult> {
  const w = await createTicketWriter({ dir, meta, ...options });
  for (const r of rows) await w.write(r);
  return w.finalize();
}

export async function writeScores(dir: string, meta: DatasetMeta, rows: readonly ScoreRow[], options: Partial<WriterOptions> = {}): Promise<FinalizeResult> {
  const w = await createScoreWriter({ dir, meta, ...options });
  for (const r of rows) await w.write(r);
  return w.finalize();
}

export async function readTickets(dir: string): Promise<TicketRow[]> {
  const out: TicketRow[] = [];
  for await (const r of ticketRows(await openDataset(dir), { verifyHash: true })) out.push(r);
  return out;
}

export async function readScores(dir: string): Promise<ScoreRow[]> {
  const out: ScoreRow[] = [];
  for await (const r of scoreRows(await openDataset(dir), { verifyHash: true })) out.push(r);
  return out;
}

/** All regular files of a directory: name → bytes. */
export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) out.set(name, await readFile(join(dir, name)));
  return out;
}
