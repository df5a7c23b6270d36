/**
 * Run state: the one owner of the pipeline runner's records under `<out>/.dlth/`: completion
 * markers (`stages/<stage>.json`, `stages/<stage>.worker-<i>-of-<N>.json`), start markers
 * (`….started.json`), a worker's lock directory (`worker-<i>-of-<N>/`), a stage process's
 * (`running/<stage>/`), their names, reading,
 * writing, and the consolidation of N worker markers into one stage marker after a merge. Nothing
 * else knows these file names; a worker slot's name (`<i>-of-<N>`) is the engine's (src/engine/part.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { show } from '../util/errors.js';
import { mkdirp, removeStaleTemps, writeFileAtomic } from '../util/fsx.js';
import type { WorkerSlot } from '../engine/partition.js';
import { parseWorkerDirName, withoutWorkerDir, workerDirName } from '../engine/part.js';
import type { Stage } from './types.js';

export interface StageResult {
  /** Output paths relative to the run directory. */
  outputs: string[];
  /** Small JSON-able facts for run.json (counts, accuracies). */
  summary?: Record<string, unknown>;
}

export interface StageRecord extends StageResult {
  name: string;
  kind: Stage['kind'];
  fingerprint: string;
  /** The version of the record the fingerprint hashes (src/pipeline/fingerprint.ts); absent in records of schema 1. */
  fingerprintSchema?: number;
  /** The record the fingerprint hashes: what the outputs were made from (absent in records of schema 1). */
  inputs?: unknown;
  status: 'ran' | 'reused';
}

/** A completion marker as stored (a StageRecord without status). */
export type StageMarker = Omit<StageRecord, 'status'>;

export const STATE_DIR = '.dlth';
const stagesDir = (out: string): string => join(out, STATE_DIR, 'stages');
/** How run state names worker slot i of N: `worker-<i>-of-<N>`. */
const WORKER_TAG = 'worker-';
const workerTag = (worker: WorkerSlot): string => `${WORKER_TAG}${workerDirName(worker)}`;
const suffix = (worker: WorkerSlot | null): string => (worker ? `.${workerTag(worker)}` : '');

/** The directory a run (the run directory itself) or a worker slot of a job array (`.dlth/worker-<i>-of-<N>`) locks. */
export function lockDir(out: string, worker: WorkerSlot | null): string {
  return worker ? join(out, STATE_DIR, workerTag(worker)) : out;
}

/** The directory a stage process of `dlth run --jobs` locks (`.dlth/running/<stage>`): the run's lock is its parent's. */
export function stageLockDir(out: string, stage: string): string {
  return join(out, STATE_DIR, 'running', stage);
}

export function markerPath(out: string, stage: string, worker: WorkerSlot | null): string {
  return join(stagesDir(out), `${stage}${suffix(worker)}.json`);
}

function startedPath(out: string, stage: string, worker: WorkerSlot | null): string {
  return join(stagesDir(out), `${stage}${suffix(worker)}.started.json`);
}

/** Creates the state directory; a whole run (not a worker) also sweeps dead processes' temp files. */
export async function openState(out: string, worker: WorkerSlot | null): Promise<void> {
  await mkdirp(stagesDir(out));
  if (!worker) await removeStaleTemps(stagesDir(out));
}

async function readJson(path: string): Promise<StageMarker | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<StageMarker>;
    return typeof v.fingerprint === 'string' && typeof v.name === 'string' ? (v as StageMarker) : null;
  } catch {
    return null;
  }
}

export function readMarker(out: string, stage: string, worker: WorkerSlot | null): Promise<StageMarker | null> {
  return readJson(markerPath(out, stage, worker));
}

export async function writeMarker(out: string, record: StageRecord, worker: WorkerSlot | null): Promise<void> {
  const { status: _status, ...marker } = record;
  await writeFileAtomic(markerPath(out, record.name, worker), `${JSON.stringify(marker, null, 2)}\n`);
}

/** What a stage's last attempt started with: its fingerprint, and the record it hashes when written by schema 2 on (null if it never started). */
export type StartedKey = Pick<StageMarker, 'fingerprint' | 'fingerprintSchema' | 'inputs'>;

export async function readStarted(out: string, stage: string, worker: WorkerSlot | null): Promise<StartedKey | null> {
  const m = await readJson(startedPath(out, stage, worker));
  return m === null ? null : { fingerprint: m.fingerprint, fingerprintSchema: m.fingerprintSchema, inputs: m.inputs };
}

export async function writeStarted(out: string, stage: string, key: StartedKey, worker: WorkerSlot | null): Promise<void> {
  await writeFileAtomic(startedPath(out, stage, worker), `${JSON.stringify({ name: stage, ...key })}\n`);
}

/** Why worker markers cannot be consolidated. */
export interface MarkerProblem {
  stage: string;
  count: number;
  missing: number[];
  other?: string;
}

export interface MarkerPlan {
  problems: MarkerProblem[];
  /** Stages whose markers are ready to be consolidated. */
  stages: string[];
  /** Writes the stages' completion markers; returns their names. */
  commit(): Promise<string[]>;
}

/** `<stage>.worker-<slot>.json` (the slot checked by parseWorkerDirName: start markers and temp files do not parse). */
const WORKER_MARKER = new RegExp(`^(.+)\\.${WORKER_TAG}([^.]+)\\.json$`);

function parseWorkerMarker(name: string): { stage: string; slot: WorkerSlot } | null {
  const m = WORKER_MARKER.exec(name);
  const slot = m ? parseWorkerDirName(m[2] as string) : null;
  return m && slot ? { stage: m[1] as string, slot } : null;
}

interface Group {
  count: number;
  mtime: number;
  markers: Map<number, StageMarker>;
}

async function workerGroups(out: string): Promise<Map<string, Group>> {
  const dir = stagesDir(out);
  const groups = new Map<string, Group>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const parsed = parseWorkerMarker(name);
    const marker = parsed ? await readJson(join(dir, name)) : null;
    if (!parsed || !marker) continue;
    const { stage, slot: { index, count } } = parsed;
    const mtime = (await stat(join(dir, name))).mtimeMs;
    const g = groups.get(stage);
    if (g && g.count === count) {
      g.markers.set(index, marker);
      g.mtime = Math.max(g.mtime, mtime);
    } else if (!g || mtime > g.mtime) {
      groups.set(stage, { count, mtime, markers: new Map([[index, marker]]) });
    }
  }
  return groups;
}

/**
 * For each stage with worker markers (the newest worker count), checks that all N exist with one
 * fingerprint and prepares the stage's ordinary marker (outputs mapped from `…/workers/<i>-of-<N>`
 * to the dataset directory, additive summary fields summed).
 */
export async function consolidateMarkers(out: string): Promise<MarkerPlan> {
  const problems: MarkerProblem[] = [];
  const records: StageMarker[] = [];
  for (const [stage, g] of [...(await workerGroups(out))].sort(([a], [b]) => a.localeCompare(b))) {
    const problem: MarkerProblem = { stage, count: g.count, missing: [] };
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
    stages: records.map((r) => r.name),
    async commit() {
      for (const r of records) await writeFileAtomic(markerPath(out, r.name, null), `${JSON.stringify(r, null, 2)}\n`);
      return records.map((r) => r.name);
    },
  };
}

export function describeMarkerProblem(p: MarkerProblem): string {
  const parts: string[] = [];
  if (p.missing.length > 0) parts.push(`missing worker${p.missing.length > 1 ? 's' : ''} ${p.missing.join(', ')} of ${p.count} (not finished: rerun ${p.missing.length > 1 ? 'these indices' : 'this index'})`);
  if (p.other) parts.push(p.other);
  return `  stage ${show(p.stage)}: ${parts.join('; ')}`;
}

function stageRecord(markers: StageMarker[], count: number): StageMarker {
  const first = markers[0] as StageMarker;
  const outputs = [...new Set(markers.flatMap((m) => m.outputs ?? []).map(withoutWorkerDir))];
  const summary = mergeSummaries(markers.map((m) => m.summary ?? {}));
  const schema = first.fingerprintSchema === undefined ? {} : { fingerprintSchema: first.fingerprintSchema };
  const inputs = first.inputs === undefined ? {} : { inputs: first.inputs };
  return { name: first.name, kind: first.kind, fingerprint: first.fingerprint, ...schema, outputs, summary: { ...summary, workers: count }, ...inputs };
}

/** Summary fields that add up over workers; every other value is taken from worker 0. */
const ADDITIVE = new Set(['rows', 'shards', 'failures', 'bytes', 'reused', 'images', 'samples']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Merges the workers' summaries: additive counts summed (at any depth), the rest from worker 0. */
function mergeSummaries(summaries: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(summaries[0] ?? {})) {
    const all = summaries.map((s) => s[key]);
    if (typeof value === 'number' && ADDITIVE.has(key) && all.every((v) => typeof v === 'number')) out[key] = (all as number[]).reduce((a, b) => a + b, 0);
    else if (isRecord(value) && all.every(isRecord)) out[key] = mergeSummaries(all as Record<string, unknown>[]);
    else out[key] = value;
  }
  return out;
}
