/**
 * Worker output layout of a job array, as the pipeline sees it: the engine (src/engine/part.ts)
 * owns it; this module only re-exports what the runner and stages need.
 */
export { WORKERS_DIR, workerDirName, parseWorkerDirName, workerDatasetDir } from '../engine/part.js';
export { workerRange, type RowRange } from '../engine/partition.js';
