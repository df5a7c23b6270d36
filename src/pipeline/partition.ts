/**
 * Worker output layout of a job array: worker i of N writes its part of every dataset into
 * `<dataset dir>/workers/<i>-of-<N>/`. The row partition itself lives with the sources
 * (`src/sources/partition.ts`) so stages can use it without importing the pipeline.
 */
import { join } from 'node:path';
import type { WorkerSlot } from '../sources/partition.js';

export { partitionRange, sliceSource, type RowRange } from '../sources/partition.js';

/** The directory name of worker i of N inside a dataset directory's `workers/`: `<i>-of-<N>`. */
export function workerDirName(worker: WorkerSlot): string {
  return `${worker.index}-of-${worker.count}`;
}

/** Parses a `<i>-of-<N>` directory name; null when the name is not one. */
export function parseWorkerDirName(name: string): WorkerSlot | null {
  const m = /^(0|[1-9]\d{0,8})-of-([1-9]\d{0,8})$/.exec(name);
  if (!m) return null;
  const slot = { index: Number(m[1]), count: Number(m[2]) };
  return slot.index < slot.count ? slot : null;
}

/** The sub-directory a worker writes its part of a dataset into (relative to the dataset dir). */
export const WORKERS_DIR = 'workers';

/** Where a stage writes a dataset: `<dataset dir>/workers/<i>-of-<N>` in worker mode, else the dir itself. */
export function workerDatasetDir(datasetDir: string, worker: WorkerSlot | null): string {
  return worker === null ? datasetDir : join(datasetDir, WORKERS_DIR, workerDirName(worker));
}

