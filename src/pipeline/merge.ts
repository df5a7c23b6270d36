/**
 * `dlth merge`: turns the per-worker parts of every dataset under a run directory into one dataset.
 *
 * Worker i of N writes `<dataset>/workers/<i>-of-<N>/` as a complete dataset (its shards, then its
 * manifest). Merge checks that all N parts exist and verify (sha256 of every shard), then places
 * the workers' shards, in worker order, as `<dataset>/shard-00000.arrow, …` (hard links: atomic,
 * no copy, the worker parts stay intact; a copy where the file system refuses links), and writes
 * `<dataset>/manifest.json` last, atomically. Nothing is written unless every part verifies; a
 * rerun after a crash redoes only what is not in place. Finally each partitioned stage whose N
 * worker markers agree gets its ordinary completion marker, so `dlth run` reuses the merged output.
 */
import { copyFile, link, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { errnoCode, InputError, ioError, show } from '../util/errors.js';
import { canonicalJson } from '../util/hash.js';
import { removeStaleTemps, syncDir, tempName, writeFileAtomic } from '../util/fsx.js';
import { hashFile } from '../shards/hashfile.js';
import { shardFileName } from '../shards/layout.js';
import { buildManifest, MANIFEST_FILE, parseManifest, serializeManifest } from '../shards/manifest.js';
import type { Manifest, ManifestShard } from '../shards/types.js';
import { parseWorkerDirName, WORKERS_DIR } from './partition.js';

export interface MergeOptions {
  /** The run directory (`dlth run --out`). */
  out: string;
  /** Delete `workers/` once a dataset is merged (default false: the parts are hard links, free to keep). */
  prune?: boolean;
  log?(message: string): void;
}

export interface MergedDataset {
  /** Dataset directory relative to `out`. */
  dir: string;
  workers: number;
  shards: number;
  rows: number;
  /** `merged`: files were placed or the manifest written; `up-to-date`: nothing to do. */
  status: 'merged' | 'up-to-date';
}

export interface MergeResult {
  datasets: MergedDataset[];
  /** Stages whose completion marker was written from their workers' markers. */
  stages: string[];
}

/** One reason merge refuses: a dataset (or stage) and the worker indices that are missing or broken. */
export interface MergeProblem {
  /** Dataset directory (relative to out) or `stage <name>`. */
  target: string;
  count: number;
  missing: number[];
  broken: { index: number; reason: string }[];
  other?: string;
}

/** Merge refused: some workers are missing or broken. Nothing was written. */
export class MergeRefusedError extends InputError {
  readonly problems: MergeProblem[];
  constructor(out: string, problems: MergeProblem[]) {
    super(`cannot merge, nothing was written:\n${problems.map(describeProblem).join('\n')}`, { file: out });
    this.name = 'MergeRefusedError';
    this.problems = problems;
  }
}

function describeProblem(p: MergeProblem): string {
  const parts: string[] = [];
  if (p.missing.length > 0) parts.push(`missing worker${p.missing.length > 1 ? 's' : ''} ${p.missing.join(', ')} of ${p.count} (not finished: rerun ${p.missing.length > 1 ? 'these indices' : 'this index'})`);
  for (const b of p.broken) parts.push(`broken worker ${b.index} of ${p.count}: ${b.reason}`);
  if (p.other) parts.push(p.other);
  return `  ${p.target}: ${parts.join('; ')}`;
}

interface Part {
  index: number;
  dir: string;
  manifest: Manifest;
}

interface Inspected {
  dir: string;
  count: number;
  parts: Part[];
}

export async function mergeRun(options: MergeOptions): Promise<MergeResult> {
  const log = options.log ?? (() => undefined);
  const dirs = await findWorkerDatasets(options.out);
  const problems: MergeProblem[] = [];
  const ready: Inspected[] = [];
  for (const dir of dirs) {
    const target = relative(options.out, dir) || '.';
    const r = await inspectDataset(dir, target);
    if ('problem' in r) problems.push(r.problem);
    else ready.push(r);
  }
  const markers = await consolidateMarkers(options.out);
  problems.push(...markers.problems);
  if (problems.length > 0) throw new MergeRefusedError(options.out, problems);
  const datasets: MergedDataset[] = [];
  for (const d of ready) {
    const merged = await placeDataset(d, options.out);
    log(`merge: ${merged.dir}: ${merged.workers} workers, ${merged.shards} shards, ${merged.rows} rows (${merged.status})`);
    if (options.prune) await rm(join(d.dir, WORKERS_DIR), { recursive: true, force: true });
    datasets.push(merged);
  }
  const stages = await markers.commit();
  for (const s of stages) log(`merge: stage ${s}: marked complete`);
  return { datasets, stages };
}

/** Dataset directories under `out` that have a `workers/` sub-directory (symlinks are not followed). */
export async function findWorkerDatasets(out: string, depth = 8): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, left: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw ioError(err, dir, 'list');
    }
    const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
    if (subdirs.includes(WORKERS_DIR)) found.push(dir);
    if (left === 0) return;
    for (const name of subdirs) if (name !== WORKERS_DIR) await walk(join(dir, name), left - 1);
  };
  await walk(out, depth);
  return found;
}

/** Checks one dataset's worker parts: all N present, manifests valid, every shard's size and sha256. */
export async function inspectDataset(dir: string, target: string): Promise<Inspected | { problem: MergeProblem }> {
  const names = (await readdir(join(dir, WORKERS_DIR))).filter((n) => !n.startsWith('.'));
  const slots = names.map((n) => ({ name: n, slot: parseWorkerDirName(n) }));
  const counts = [...new Set(slots.flatMap((s) => (s.slot ? [s.slot.count] : [])))].sort((a, b) => a - b);
  const fail = (other: string, count = 0): { problem: MergeProblem } => ({ problem: { target, count, missing: [], broken: [], other } });
  const strays = slots.filter((s) => !s.slot).map((s) => s.name);
  if (strays.length > 0) return fail(`unexpected entries in ${WORKERS_DIR}/: ${strays.map((s) => show(s)).join(', ')} (expected <i>-of-<N>)`);
  if (counts.length !== 1) return fail(`${WORKERS_DIR}/ holds parts of ${counts.length === 0 ? 'no workers' : `different worker counts (${counts.join(', ')}): remove the stale ones`}`);
  const count = counts[0] as number;
  const problem: MergeProblem = { target, count, missing: [], broken: [] };
  const parts: Part[] = [];
  for (let index = 0; index < count; index++) {
    const wdir = join(dir, WORKERS_DIR, `${index}-of-${count}`);
    const r = await inspectPart(wdir);
    if (r === 'missing') problem.missing.push(index);
    else if (typeof r === 'string') problem.broken.push({ index, reason: r });
    else parts.push({ index, dir: wdir, manifest: r });
  }
  const first = parts[0];
  const odd = first ? parts.find((p) => canonicalJson(p.manifest.meta) !== canonicalJson(first.manifest.meta)) : undefined;
  if (odd) problem.broken.push({ index: odd.index, reason: `its metadata differs from worker ${first?.index}'s (another configuration: rerun it)` });
  if (problem.missing.length > 0 || problem.broken.length > 0) return { problem };
  return { dir, count, parts };
}

/** A worker part's manifest if it verifies; 'missing' when unfinished; else the reason it is broken. */
async function inspectPart(wdir: string): Promise<Manifest | 'missing' | string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(wdir, MANIFEST_FILE));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return 'missing';
    return `cannot read ${MANIFEST_FILE}: ${errnoCode(err) ?? String(err)}`;
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(bytes, join(wdir, MANIFEST_FILE));
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  for (const s of manifest.shards) {
    const digest = await hashFile(join(wdir, s.file)).catch((err: unknown) => errnoCode(err) ?? String(err));
    if (typeof digest === 'string') return `${s.file}: cannot read (${digest})`;
    if (digest.bytes !== s.bytes) return `${s.file}: ${digest.bytes} bytes, its manifest says ${s.bytes}`;
    if (digest.sha256 !== s.sha256) return `${s.file}: sha256 differs from its manifest`;
  }
  return manifest;
}

/** Places the parts' shards as the dataset's own, in worker order, then writes the manifest last. */
async function placeDataset(d: Inspected, out: string): Promise<MergedDataset> {
  const plan = d.parts.flatMap((p) => p.manifest.shards.map((s) => ({ src: join(p.dir, s.file), entry: s })));
  const shards: ManifestShard[] = plan.map((x, g) => ({ ...x.entry, file: shardFileName(g) }));
  const meta = (d.parts[0] as Part).manifest.meta;
  const text = serializeManifest(buildManifest(meta, shards));
  const manifestPath = join(d.dir, MANIFEST_FILE);
  const todo: number[] = [];
  for (let g = 0; g < plan.length; g++) {
    if (!(await inPlace((plan[g] as (typeof plan)[number]).src, join(d.dir, shardFileName(g)), shards[g] as ManifestShard))) todo.push(g);
  }
  const current = await readFile(manifestPath, 'utf8').catch(() => null);
  const errors = await mergedErrors(d.parts);
  const errorsPath = join(d.dir, ERRORS_FILE);
  const errorsCurrent = errors === null ? null : await readFile(errorsPath, 'utf8').catch(() => null);
  const result = { dir: relative(out, d.dir) || '.', workers: d.count, shards: shards.length, rows: shards.reduce((n, s) => n + s.rows, 0) };
  if (todo.length === 0 && current === text && errorsCurrent === errors) return { ...result, status: 'up-to-date' };
  // From here until the new manifest is written the directory is not a dataset (no manifest).
  await rm(manifestPath, { force: true });
  await removeStaleTemps(d.dir);
  for (const g of todo) await placeShard((plan[g] as (typeof plan)[number]).src, join(d.dir, shardFileName(g)), shards[g] as ManifestShard);
  await syncDir(d.dir);
  if (errors !== null) await writeFileAtomic(errorsPath, errors);
  await writeFileAtomic(manifestPath, text);
  await removeStrayShards(d.dir, new Set(shards.map((s) => s.file)));
  return { ...result, status: 'merged' };
}

/** The stages' record of failed samples, beside the shards (see src/tickets/failures.ts). */
const ERRORS_FILE = 'errors.jsonl';

/**
 * The workers' errors.jsonl concatenated in worker order, each record's `index` shifted from the
 * worker's slice to the whole source (worker i starts after the rows and failures of workers < i).
 * Null when no part has one.
 */
async function mergedErrors(parts: readonly Part[]): Promise<string | null> {
  const texts = await Promise.all(parts.map((p) => readFile(join(p.dir, ERRORS_FILE), 'utf8').catch(() => null)));
  if (texts.every((t) => t === null)) return null;
  let offset = 0;
  const lines: string[] = [];
  parts.forEach((p, i) => {
    const records = (texts[i] ?? '').split('\n').filter((l) => l.trim() !== '');
    for (const line of records) {
      const r = parseRecord(line, join(p.dir, ERRORS_FILE));
      lines.push(`${JSON.stringify(typeof r.index === 'number' ? { ...r, index: r.index + offset } : r)}\n`);
    }
    offset += p.manifest.rows + records.length;
  });
  return lines.join('');
}

function parseRecord(line: string, file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    v = null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`not a JSON object line: ${show(line)}`, { file });
  return v as Record<string, unknown>;
}

/** True when `dest` already is `src` (same inode) or has the expected size and sha256. */
async function inPlace(src: string, dest: string, expected: ManifestShard): Promise<boolean> {
  const d = await stat(dest).catch(() => null);
  if (!d) return false;
  const s = await stat(src);
  if (d.ino === s.ino && d.dev === s.dev) return true;
  if (d.size !== expected.bytes) return false;
  return (await hashFile(dest)).sha256 === expected.sha256;
}

/** Errors on which a hard link is impossible but a copy works (cross-device, no link support). */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/** Links (or copies and re-hashes) `src` to a temporary name, then renames it over `dest`. */
async function placeShard(src: string, dest: string, expected: ManifestShard): Promise<void> {
  const tmp = tempName(dest);
  await rm(tmp, { force: true });
  try {
    await link(src, tmp);
  } catch (err) {
    if (!NO_LINK.has(errnoCode(err) ?? '')) throw ioError(err, dest, `link ${src}`);
    await copyFile(src, tmp).catch((e: unknown) => Promise.reject(ioError(e, dest, `copy ${src}`)));
    const digest = await hashFile(tmp);
    if (digest.sha256 !== expected.sha256) {
      await rm(tmp, { force: true });
      throw new InputError(`the copy of ${src} does not match its sha256 (changed while merging?)`, { file: dest });
    }
  }
  await rename(tmp, dest).catch((e: unknown) => Promise.reject(ioError(e, dest, 'rename')));
}

/** Removes `shard-*.arrow` files of an earlier layout that the new manifest does not list. */
async function removeStrayShards(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dir)) {
    if (/^shard-\d+\.arrow$/.test(name) && !keep.has(name)) await rm(join(dir, name), { force: true });
  }
}

/** A runner completion marker (`.dlth/stages/<stage>[.worker-<i>-of-<N>].json`), as far as merge needs it. */
interface StageMarker {
  name: string;
  kind: string;
  fingerprint: string;
  outputs?: string[];
  summary?: Record<string, unknown>;
}

interface MarkerPlan {
  problems: MergeProblem[];
  /** Writes the stages' completion markers; returns their names. */
  commit(): Promise<string[]>;
}

const WORKER_MARKER = /^(.+)\.worker-(\d+)-of-(\d+)\.json$/;

/**
 * For each stage with worker markers, takes the set of the newest worker count, checks that all N
 * markers exist with one fingerprint, and prepares the stage's ordinary marker (outputs mapped
 * from `…/workers/<i>-of-<N>` to the dataset directory, numeric summary fields summed).
 */
export async function consolidateMarkers(out: string): Promise<MarkerPlan> {
  const dir = join(out, '.dlth', 'stages');
  const names = await readdir(dir).catch(() => [] as string[]);
  const groups = new Map<string, { count: number; mtime: number; markers: Map<number, StageMarker> }>();
  for (const name of names) {
    const m = WORKER_MARKER.exec(name);
    if (!m) continue;
    const [stage, index, count] = [m[1] as string, Number(m[2]), Number(m[3])];
    const marker = await readMarker(join(dir, name));
    if (!marker) continue;
    const mtime = (await stat(join(dir, name))).mtimeMs;
    const g = groups.get(stage);
    if (g && g.count === count) {
      g.markers.set(index, marker);
      g.mtime = Math.max(g.mtime, mtime);
    } else if (!g || mtime > g.mtime) {
      groups.set(stage, { count, mtime, markers: new Map([[index, marker]]) });
    }
  }
  const problems: MergeProblem[] = [];
  const records: StageMarker[] = [];
  for (const [stage, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const problem: MergeProblem = { target: `stage ${show(stage)}`, count: g.count, missing: [], broken: [] };
    const fps = new Map<string, number[]>();
    for (let i = 0; i < g.count; i++) {
      const marker = g.markers.get(i);
      if (!marker) problem.missing.push(i);
      else fps.set(marker.fingerprint, [...(fps.get(marker.fingerprint) ?? []), i]);
    }
    if (fps.size > 1) problem.other = `workers ran different configurations (${[...fps].map(([fp, ix]) => `${fp}: ${ix.join(', ')}`).join('; ')}): rerun the stale ones`;
    if (problem.missing.length > 0 || problem.other) problems.push(problem);
    else records.push(stageRecord([...g.markers.values()], g.count));
  }
  return {
    problems,
    async commit() {
      for (const r of records) await writeFileAtomic(join(dir, `${r.name}.json`), `${JSON.stringify(r, null, 2)}\n`);
      return records.map((r) => r.name);
    },
  };
}

function stageRecord(markers: StageMarker[], count: number): StageMarker {
  const first = markers[0] as StageMarker;
  const outputs = [...new Set(markers.flatMap((m) => m.outputs ?? []).map((o) => o.replace(/[/\\]workers[/\\]\d+-of-\d+(?=[/\\]|$)/, '')))];
  const summary = mergeSummaries(markers.map((m) => m.summary ?? {}));
  return { name: first.name, kind: first.kind, fingerprint: first.fingerprint, outputs, summary: { ...summary, workers: count } };
}

/** Summary fields that add up over workers; every other value is taken from worker 0. */
const ADDITIVE = new Set(['rows', 'shards', 'failures', 'bytes', 'reused', 'images', 'samples']);

/** Merges the workers' summaries: additive counts summed (at any depth), the rest from worker 0. */
function mergeSummaries(summaries: readonly Record<string, unknown>[]): Record<string, unknown> {
  const first = summaries[0] ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    const all = summaries.map((s) => s[key]);
    if (typeof value === 'number' && ADDITIVE.has(key) && all.every((v) => typeof v === 'number')) {
      out[key] = (all as number[]).reduce((a, b) => a + b, 0);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && all.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      out[key] = mergeSummaries(all as Record<string, unknown>[]);
    } else {
      out[key] = value;
    }
  }
  return out;
}

async function readMarker(path: string): Promise<StageMarker | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<StageMarker>;
    return typeof v.fingerprint === 'string' && typeof v.name === 'string' && typeof v.kind === 'string' ? (v as StageMarker) : null;
  } catch {
    return null;
  }
}
