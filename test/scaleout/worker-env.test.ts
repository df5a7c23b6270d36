import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorker, workerFromEnv } from '../../src/pipeline/worker.js';

test('worker: --worker i/N', () => {
  assert.deepEqual(parseWorker('2/3'), { index: 2, count: 3 });
  assert.throws(() => parseWorker('3/3'), /not in \[0, 3\)/);
  assert.throws(() => parseWorker('1-3'), /expects i\/N/);
});

test('worker: Slurm array (task id minus the array minimum, count from the array)', () => {
  assert.deepEqual(workerFromEnv({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '0' }), { index: 1, count: 3 });
  assert.deepEqual(workerFromEnv({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1' }), { index: 2, count: 3 });
});

test('worker: Kubernetes Indexed Job and AWS Batch need the count', () => {
  assert.deepEqual(workerFromEnv({ JOB_COMPLETION_INDEX: '4' }, '5'), { index: 4, count: 5 });
  assert.deepEqual(workerFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '0', DLTH_WORKERS: '2' }), { index: 0, count: 2 });
  assert.throws(() => workerFromEnv({ JOB_COMPLETION_INDEX: '0' }), /--workers N/);
  assert.throws(() => workerFromEnv({ JOB_COMPLETION_INDEX: '5' }, '5'), /not in \[0, 5\)/);
  assert.equal(workerFromEnv({}), null);
});

// Resubmitting one failed index (`sbatch --array=1`) gives SLURM_ARRAY_TASK_COUNT=1 and
// SLURM_ARRAY_TASK_MIN=1 (checked on slurm-wlm 22.05): detection must then use the declared count
// and the raw task id. deploy/slurm passes --worker explicitly, so it is not affected.
test('worker: a resubmitted single Slurm index keeps its slot when the count is declared', () => {
  assert.deepEqual(workerFromEnv({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '1', SLURM_ARRAY_TASK_MIN: '1', DLTH_WORKERS: '3' }), { index: 1, count: 3 });
});
