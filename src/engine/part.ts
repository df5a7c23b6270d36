/**
 * Worker parts of a dataset. Worker i of N writes `<dataset>/workers/<i>-of-<N>/`: its pieces of
 * the global shards (piece of shard j = the rows of slots [j·R, (j+1)·R) in its range, named like
 * the shard), a manifest listing them (a valid dataset on its own) and `part.json`, which says
 * where the pieces sit in the whole dataset. Merge (merge.ts) reads parts only through this file.
 */
import { join } from 'node:path';
import { InputError, show } from '../util/errors.js';
import { canonicalJson } from '../util/hash.js';
import { writeFileAtomic, type Fs } from '../util/fsx.js';
import { shardFileName } from '../shards/layout.js';
import type { RowRange, WorkerSlot } from './partition.js';

export const WORKERS_DIR = 'workers';
export const PART_FILE = 'part.json';
const PART_FORMAT = 'dlth-part';
const PART_VERSION = 1;

export interface PartPiece {
  /** Global shard index. */
  shard: number;
  /** Global slots [start, end) of the shard that this piece holds. */
  start: number;
  end: number;
}

export interface PartInfo {
  worker: WorkerSlot;
  /** Slots of the whole source. */
  slots: number;
  rowsPerShard: number;
  /** The shard and record-batch byte targets the layout came from (merge re-encodes with them). */
  shardBytes: number;
  batchBytes: number;
  /** The batch grid the partition was cut on. */
  align: number;
  range: RowRange;
  pieces: PartPiece[];
}

/** A slot name: 0-based index and count, without leading zeros. */
const SLOT_NAME = '(0|[1-9]\\d{0,8})-of-([1-9]\\d{0,8})';
const SLOT = new RegExp(`^${SLOT_NAME}$`);
/** `/workers/<i>-of-<N>` inside a path (either separator), up to the next separator or the end. */
const PART_IN_PATH = new RegExp(`[/\\\\]${WORKERS_DIR}[/\\\\]${SLOT_NAME}(?=[/\\\\]|$)`);

/**
 * The name of worker slot i of N, `<i>-of-<N>`: its part's directory inside a dataset's `workers/`,
 * and the tag of its run-state files (src/pipeline/state.ts). The one place this name is built.
 */
export function workerDirName(worker: WorkerSlot): string {
  return `${worker.index}-of-${worker.count}`;
}

/** Parses a `<i>-of-<N>` slot name; null when the name is not one. */
export function parseWorkerDirName(name: string): WorkerSlot | null {
  const m = SLOT.exec(name);
  if (!m) return null;
  const slot = { index: Number(m[1]), count: Number(m[2]) };
  return slot.index < slot.count ? slot : null;
}

/** Where a stage writes a dataset: `<dataset dir>/workers/<i>-of-<N>` in worker mode, else the dir itself. */
export function workerDatasetDir(datasetDir: string, worker: WorkerSlot | null): string {
  return worker === null ? datasetDir : join(datasetDir, WORKERS_DIR, workerDirName(worker));
}

/** A path with its worker part taken out (`<dataset>/workers/<i>-of-<N>/x` → `<dataset>/x`): the inverse of workerDatasetDir. */
export function withoutWorkerDir(path: string): string {
  return path.replace(PART_IN_PATH, '');
}

export async function writePart(dir: string, info: PartInfo, fs: Fs): Promise<void> {
  await writeFileAtomic(join(dir, PART_FILE), `${canonicalJson({ format: PART_FORMAT, version: PART_VERSION, ...info })}\n`, fs);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkPieces(v: unknown, info: Omit<PartInfo, 'pieces'>): PartPiece[] | null {
  if (!Array.isArray(v) || v.length > 1_000_000) return null;
  let at = info.range.start;
  const out: PartPiece[] = [];
  for (const p of v as Partial<PartPiece>[]) {
    if (!isCount(p.shard) || p.start !== at || !isCount(p.end) || p.end <= at) return null;
    const [s0, s1] = [p.shard * info.rowsPerShard, (p.shard + 1) * info.rowsPerShard];
    if (p.start < s0 || p.end > s1) return null;
    out.push({ shard: p.shard, start: p.start, end: p.end });
    at = p.end;
  }
  return at === info.range.end ? out : null;
}

/** Reads and checks a part's part.json (untrusted: another host wrote it). */
export async function readPart(dir: string, fs: Fs): Promise<PartInfo> {
  const file = join(dir, PART_FILE);
  const text = String(await fs.readFile(file, 'utf8'));
  if (text.length > 64 * 1024 * 1024) throw new InputError('larger than 64 MiB', { file });
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new InputError('not JSON', { file });
  }
  const w = v.worker as Partial<WorkerSlot> | undefined;
  const r = v.range as Partial<RowRange> | undefined;
  if (v.format !== PART_FORMAT || v.version !== PART_VERSION) throw new InputError(`not a ${PART_FORMAT} v${PART_VERSION} file (format ${show(v.format)}, version ${show(v.version)})`, { file });
  if (!w || !isCount(w.index) || !isCount(w.count) || w.index >= w.count || !isCount(v.slots) || !isCount(v.rowsPerShard) || v.rowsPerShard < 1
    || !isCount(v.align) || !isCount(v.shardBytes) || !isCount(v.batchBytes) || v.align < 1 || !r || !isCount(r.start) || !isCount(r.end) || r.start > r.end || r.end > v.slots) {
    throw new InputError('malformed worker, slots, rowsPerShard, align or range', { file });
  }
  const base = { worker: { index: w.index, count: w.count }, slots: v.slots, rowsPerShard: v.rowsPerShard, shardBytes: v.shardBytes, batchBytes: v.batchBytes, align: v.align, range: { start: r.start, end: r.end } };
  const pieces = checkPieces(v.pieces, base);
  if (!pieces) throw new InputError('its pieces do not tile its range on the shard grid', { file });
  return { ...base, pieces };
}

export { shardFileName };
