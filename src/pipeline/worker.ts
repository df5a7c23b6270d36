import { InputError, show } from '../util/errors.js';
import type { WorkerSlot } from './context.js';

/** Parses `i/N` (0-based i). */
export function parseWorker(text: string): WorkerSlot {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new InputError(`--worker expects i/N (e.g. 0/4), got ${show(text)}`);
  return checked(Number(m[1]), Number(m[2]), '--worker');
}

function checked(index: number, count: number, from: string): WorkerSlot {
  if (!(count >= 1) || !(index >= 0) || index >= count) {
    throw new InputError(`${from}: worker index ${index} is not in [0, ${count})`);
  }
  return { index, count };
}

/**
 * Detects a job-array slot from the engine's environment: Slurm arrays
 * (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN), Kubernetes Indexed Jobs
 * (JOB_COMPLETION_INDEX, with the count from --workers or DLTH_WORKERS), AWS Batch array jobs
 * (AWS_BATCH_JOB_ARRAY_INDEX, with the count from --workers or DLTH_WORKERS). Null when none.
 *
 * With a declared count (--workers / DLTH_WORKERS), a Slurm index is taken as is: resubmitting
 * one failed index (`sbatch --array=1`) makes Slurm report a count of 1 and a minimum of 1, and
 * only the declared count keeps that task in its original slot (1 of N, not 0 of 1).
 */
export function workerFromEnv(env: NodeJS.ProcessEnv, workers?: string): WorkerSlot | null {
  const count = workers ?? env.DLTH_WORKERS;
  if (env.SLURM_ARRAY_TASK_ID !== undefined && count !== undefined) {
    return checked(Number(env.SLURM_ARRAY_TASK_ID), Number(count), 'SLURM_ARRAY_TASK_ID');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined) {
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? '0');
    return checked(Number(env.SLURM_ARRAY_TASK_ID) - min, Number(env.SLURM_ARRAY_TASK_COUNT), 'SLURM_ARRAY_TASK_ID');
  }
  for (const key of ['JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const) {
    const v = env[key];
    if (v === undefined) continue;
    if (count === undefined) throw new InputError(`${key} is set: give the worker count with --workers N (or DLTH_WORKERS)`);
    return checked(Number(v), Number(count), key);
  }
  return null;
}
