/**
 * Merging a dataset's worker parts (part.ts) into the dataset a single process would have written,
 * byte for byte. Every part must be present and verify (manifest, sizes, sha256, part.json), hold
 * exactly its slots' rows in order (part-rows.ts: row counts less recorded failures, ids against
 * the source when given, else ascending across all parts) and carry one metadata. Shard j is then a hard link to the one piece
 * that holds all of it (a copy, re-hashed, where links are refused), or, when a worker boundary
 * cuts it, its pieces' rows re-encoded in order by the shard writer. The manifest goes last,
 * atomically. A rerun finds finished shards in place and only rewrites what is missing.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { shardFileName } from '../shards/layout.js';
import { buildManifest, MANIFEST_FILE, serializeManifest } from '../shards/manifest.js';
import { openDataset, type Dataset } from '../shards/reader.js';
import type { DatasetMeta, Manifest, ManifestShard } from '../shards/types.js';
import { ioError, show } from '../util/errors.js';
import { canonicalJson } from '../util/hash.js';
import { nodeFs, removeStaleTemps, syncDir, writeFileAtomic, type Fs } from '../util/fsx.js';
import { linkShard, reencodeShard, removeStrayShards } from './place-shard.js';
import { ERRORS_FILE, readFailures, serializeFailures } from './failures.js';
import { shardsIntact } from './output.js';
import { checkPartRows, type PartEnds, type SlotSource } from './part-rows.js';
import { parseWorkerDirName, readPart, workerDirName, WORKERS_DIR, type PartInfo } from './part.js';

export interface Part {
  index: number;
  dir: string;
  dataset: Dataset;
  info: PartInfo;
  /** Its first and last ids (checked against the next part's). */
  ends: PartEnds;
}

/** Why a dataset's parts cannot be merged: the worker count and the missing or broken workers. */
export interface PartsProblem {
  count: number;
  missing: number[];
  broken: { index: number; reason: string }[];
  other?: string;
}

export interface InspectedParts {
  dir: string;
  count: number;
  parts: Part[];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Part of worker `index`: null when unfinished (no manifest), else the part, or why it is broken. */
async function inspectPart(wdir: string, index: number, fs: Fs, source: SlotSource | undefined): Promise<Part | null | string> {
  const st = await fs.lstat(wdir).catch(() => null);
  if (!st) return null;
  if (!st.isDirectory()) return `${wdir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: worker parts must be real directories inside the dataset`;
  const has = await fs.stat(join(wdir, MANIFEST_FILE)).then(() => true, () => false);
  if (!has) return null;
  try {
    const dataset = await openDataset(wdir, { fs });
    if (!(await shardsIntact(wdir, dataset.manifest, fs))) return 'a shard\'s size or sha256 differs from its manifest';
    const info = await readPart(wdir, fs);
    const files = info.pieces.map((p) => shardFileName(p.shard));
    if (canonicalJson(files) !== canonicalJson(dataset.manifest.shards.map((s) => s.file))) return 'its manifest and part.json list different shards';
    const ends = await checkPartRows(wdir, dataset, info, await readFailures(wdir, fs), source);
    return { index, dir: wdir, dataset, info, ends };
  } catch (err) {
    return message(err);
  }
}

/** Checks that the parts tile the source on one shard grid with one metadata. */
function checkTiling(parts: readonly Part[], problem: PartsProblem): void {
  const first = parts[0];
  if (!first) return;
  let at = 0;
  let last: { id: string; index: number } | null = null;
  for (const p of parts) {
    const i = p.info;
    if (canonicalJson(p.dataset.meta) !== canonicalJson(first.dataset.meta)) problem.broken.push({ index: p.index, reason: `its metadata differs from worker ${first.index}'s (another configuration: rerun it)` });
    else if (i.slots !== first.info.slots || i.rowsPerShard !== first.info.rowsPerShard || i.shardBytes !== first.info.shardBytes || i.batchBytes !== first.info.batchBytes || i.range.start !== at) {
      problem.broken.push({ index: p.index, reason: `its rows [${i.range.start}, ${i.range.end}) of ${i.slots} (shard rows ${i.rowsPerShard}) do not follow worker ${p.index - 1}'s (another source or shard size: rerun it)` });
    } else if (last && p.ends.first !== null && !(last.id < p.ends.first)) {
      problem.broken.push({ index: p.index, reason: `its first id ${show(p.ends.first)} does not follow worker ${last.index}'s last id ${show(last.id)} (another source: rerun it)` });
    }
    at = i.range.end;
    if (p.ends.last !== null) last = { id: p.ends.last, index: p.index };
  }
  if (problem.broken.length === 0 && at !== first.info.slots) problem.other = `the parts cover ${at} of ${first.info.slots} rows`;
}

/**
 * Inspects `<dir>/workers/`: all N parts present and verified, or the problem. With `source` (the
 * sorted source the parts were made from) every row's id is checked against its slot's.
 */
export async function inspectParts(dir: string, fs: Fs = nodeFs, source?: SlotSource): Promise<InspectedParts | PartsProblem> {
  const names = (await readdir(join(dir, WORKERS_DIR)).catch((err: unknown) => Promise.reject(ioError(err, join(dir, WORKERS_DIR), 'list')))).filter((n) => !n.startsWith('.'));
  const slots = names.map((n) => ({ name: n, slot: parseWorkerDirName(n) }));
  const strays = slots.filter((s) => !s.slot).map((s) => s.name);
  const counts = [...new Set(slots.flatMap((s) => (s.slot ? [s.slot.count] : [])))].sort((a, b) => a - b);
  const fail = (other: string): PartsProblem => ({ count: counts[0] ?? 0, missing: [], broken: [], other });
  if (strays.length > 0) return fail(`unexpected entries in ${WORKERS_DIR}/: ${strays.map((s) => show(s)).join(', ')} (expected <i>-of-<N>)`);
  if (counts.length !== 1) return fail(`${WORKERS_DIR}/ holds ${counts.length === 0 ? 'no worker parts' : `parts of different worker counts (${counts.join(', ')}): remove the stale ones`}`);
  const count = counts[0] as number;
  const problem: PartsProblem = { count, missing: [], broken: [] };
  const parts: Part[] = [];
  for (let index = 0; index < count; index++) {
    const r = await inspectPart(join(dir, WORKERS_DIR, workerDirName({ index, count })), index, fs, source);
    if (r === null) problem.missing.push(index);
    else if (typeof r === 'string') problem.broken.push({ index, reason: r });
    else parts.push(r);
  }
  if (problem.missing.length === 0 && problem.broken.length === 0) checkTiling(parts, problem);
  return problem.missing.length > 0 || problem.broken.length > 0 || problem.other ? problem : { dir, count, parts };
}

interface PieceRef {
  part: Part;
  /** Index into the part's manifest.shards. */
  at: number;
  full: boolean;
}

/** For each global shard, the pieces that hold it, in order. */
function shardPlan(parts: readonly Part[]): PieceRef[][] {
  const plan: PieceRef[][] = [];
  for (const part of parts) {
    part.info.pieces.forEach((p, at) => {
      const R = part.info.rowsPerShard;
      const full = p.start === p.shard * R && p.end === Math.min((p.shard + 1) * R, part.info.slots);
      (plan[p.shard] ??= []).push({ part, at, full });
    });
  }
  return plan;
}

export interface PlacedDataset {
  shards: number;
  rows: number;
  status: 'merged' | 'up-to-date';
}

/** Writes the merged dataset into `d.dir` (see the module comment). */
export async function placeParts(d: InspectedParts, fs: Fs = nodeFs): Promise<PlacedDataset> {
  const first = d.parts[0] as Part;
  const meta = first.dataset.meta;
  const plan = shardPlan(d.parts);
  const errors = serializeFailures((await Promise.all(d.parts.map((p) => readFailures(p.dir, fs)))).flat().sort((a, b) => a.index - b.index));
  const current = await fs.readFile(join(d.dir, MANIFEST_FILE), 'utf8').catch(() => null);
  if (current !== null && (await upToDate(d.dir, meta, plan, errors, fs))) {
    const m = JSON.parse(String(current)) as Manifest;
    return { shards: m.shards.length, rows: m.rows, status: 'up-to-date' };
  }
  await fs.rm(join(d.dir, MANIFEST_FILE), { force: true });
  await removeStaleTemps(d.dir, fs);
  const shards: ManifestShard[] = [];
  for (let j = 0; j < plan.length; j++) shards.push(await placeShard(d.dir, j, plan[j] ?? [], meta, fs));
  await syncDir(d.dir, fs);
  await writeFileAtomic(join(d.dir, ERRORS_FILE), errors, fs);
  const manifest = buildManifest(meta, shards, first.info.rowsPerShard);
  await writeFileAtomic(join(d.dir, MANIFEST_FILE), serializeManifest(manifest), fs);
  await removeStrayShards(d.dir, new Set(shards.map((s) => s.file)));
  return { shards: shards.length, rows: manifest.rows, status: 'merged' };
}

/** The merged dataset is already in place: same meta, same shard pieces, shards intact, same errors. */
async function upToDate(dir: string, meta: DatasetMeta, plan: PieceRef[][], errors: string, fs: Fs): Promise<boolean> {
  let m: Manifest;
  try {
    m = (await openDataset(dir, { fs })).manifest;
  } catch {
    return false;
  }
  if (canonicalJson(m.meta) !== canonicalJson(meta) || m.shards.length !== plan.length) return false;
  const singles = plan.every((refs, j) => refs.length !== 1 || (refs[0] as PieceRef).part.dataset.manifest.shards[(refs[0] as PieceRef).at]?.sha256 === m.shards[j]?.sha256);
  const errorsNow = await fs.readFile(join(dir, ERRORS_FILE), 'utf8').catch(() => '');
  return singles && String(errorsNow) === errors && (await shardsIntact(dir, m, fs));
}

async function placeShard(dir: string, j: number, refs: readonly PieceRef[], meta: DatasetMeta, fs: Fs): Promise<ManifestShard> {
  const dest = join(dir, shardFileName(j));
  const only = refs.length === 1 ? (refs[0] as PieceRef) : null;
  if (only?.full) {
    const entry = only.part.dataset.manifest.shards[only.at] as ManifestShard;
    await linkShard(join(only.part.dir, entry.file), dest, entry);
    return { ...entry, file: shardFileName(j) };
  }
  const { shardBytes, batchBytes } = (refs[0] as PieceRef).part.info;
  return reencodeShard(dir, j, refs.map((r) => ({ dataset: r.part.dataset, at: r.at })), meta, { shardBytes, batchBytes }, fs);
}
