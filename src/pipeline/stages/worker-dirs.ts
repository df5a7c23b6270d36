import { join } from 'node:path';
import type { WorkerSlot } from '../context.js';
import { workerDirName } from '../partition.js';

/** Where a stage writes a dataset: the dataset directory itself, or worker i's part of it. */
export function workerDir(datasetDir: string, worker: WorkerSlot | null): string {
  return worker === null ? datasetDir : join(datasetDir, 'workers', workerDirName(worker));
}
