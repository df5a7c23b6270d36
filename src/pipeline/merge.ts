/**
 * `dlth merge`: after every worker of a job array is done, turns the worker parts of every dataset
 * under a directory (a run directory, or one dataset made with `dlth score|materialize --worker`)
 * into final datasets (src/engine/merge.ts places them, byte-identical to a single run's), then
 * consolidates the pipeline's worker markers (src/pipeline/state.ts) so `dlth run` reuses the
 * merged outputs. Nothing is written unless every part of every dataset verifies.
 */
import type { Dirent } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { inspectParts, placeParts, type InspectedParts, type PartsProblem } from '../engine/merge.js';
import type { SlotSource } from '../engine/part-rows.js';
import { WORKERS_DIR } from '../engine/part.js';
import { acquireLock } from '../engine/lock.js';
import { InputError, ioError } from '../util/errors.js';
import { consolidateMarkers, describeMarkerProblem, type MarkerProblem } from './state.js';

export interface MergeOptions {
  /** A run directory (`dlth run --out`) or a dataset directory with `workers/`. */
  out: string;
  /** Delete `workers/` once a dataset is merged (default false: the parts are hard links, free to keep). */
  prune?: boolean;
  /**
   * The sorted source a dataset (its directory relative to `out`, `.` for `out` itself) was made
   * from, where the caller has it: every row's id is then checked against its slot's. Without it
   * ids are checked to be in the source's order (strictly ascending across the parts).
   */
  sources?(dataset: string): SlotSource | null | undefined;
  log?(message: string): void;
}

export interface MergedDataset {
  /** Dataset directory relative to `out` (`.` for `out` itself). */
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

export interface MergeProblem extends PartsProblem {
  /** Dataset directory (relative to out). */
  target: string;
}

/** Merge refused: some workers are missing or broken. Nothing was written. One line, every problem named. */
export class MergeRefusedError extends InputError {
  readonly problems: (MergeProblem | MarkerProblem)[];
  constructor(out: string, problems: MergeProblem[], markers: MarkerProblem[]) {
    const lines = [...problems.map(describeProblem), ...markers.map(describeMarkerProblem)].map((l) => l.trim().replace(/\s*\n\s*/g, ' '));
    super(`cannot merge, nothing was written: ${lines.join(' | ')}`, { file: out });
    this.name = 'MergeRefusedError';
    this.problems = [...problems, ...markers];
  }
}

function describeProblem(p: MergeProblem): string {
  const parts: string[] = [];
  if (p.missing.length > 0) parts.push(`missing worker${p.missing.length > 1 ? 's' : ''} ${p.missing.join(', ')} of ${p.count} (not finished: rerun ${p.missing.length > 1 ? 'these indices' : 'this index'})`);
  for (const b of p.broken) parts.push(`broken worker ${b.index} of ${p.count}: ${b.reason}`);
  if (p.other) parts.push(p.other);
  return `  ${p.target}: ${parts.join('; ')}`;
}

export async function mergeRun(options: MergeOptions): Promise<MergeResult> {
  const log = options.log ?? (() => undefined);
  const dirs = await findWorkerDatasets(options.out);
  const problems: MergeProblem[] = [];
  const ready: InspectedParts[] = [];
  for (const dir of dirs) {
    const target = relative(options.out, dir) || '.';
    const r = await inspectParts(dir, undefined, options.sources?.(target) ?? undefined);
    if ('parts' in r) ready.push(r);
    else problems.push({ ...r, target });
  }
  const markers = await consolidateMarkers(options.out);
  if (problems.length > 0 || markers.problems.length > 0) throw new MergeRefusedError(options.out, problems, markers.problems);
  if (ready.length === 0 && markers.stages.length === 0) throw new InputError(`no worker parts found (no ${WORKERS_DIR}/ directory below it): run the workers with --worker i/N first`, { file: options.out });
  const datasets: MergedDataset[] = [];
  for (const d of ready) {
    const lock = await acquireLock(d.dir);
    try {
      const placed = await placeParts(d);
      const merged: MergedDataset = { dir: relative(options.out, d.dir) || '.', workers: d.count, ...placed };
      log(`merge: ${merged.dir}: ${merged.workers} workers, ${merged.shards} shards, ${merged.rows} rows (${merged.status})`);
      if (options.prune) await rm(join(d.dir, WORKERS_DIR), { recursive: true, force: true });
      datasets.push(merged);
    } finally {
      await lock.release();
    }
  }
  const stages = await markers.commit();
  for (const s of stages) log(`merge: stage ${s}: marked complete`);
  return { datasets, stages };
}

/** Dataset directories under `out` (itself included) that have a `workers/` directory; symlinks are never followed. */
export async function findWorkerDatasets(out: string, depth = 8): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, left: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw ioError(err, dir, 'list');
    }
    const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
    if (subdirs.includes(WORKERS_DIR)) found.push(dir);
    if (entries.some((e) => e.name === WORKERS_DIR && e.isSymbolicLink())) {
      throw new InputError(`${WORKERS_DIR} is a symbolic link: worker parts must be real directories inside the dataset`, { file: join(dir, WORKERS_DIR) });
    }
    if (left === 0) return;
    for (const name of subdirs) if (name !== WORKERS_DIR) await walk(join(dir, name), left - 1);
  };
  await walk(out, depth);
  return found;
}
