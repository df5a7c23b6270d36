/**
 * Scale-out on a real single-host Slurm cluster started here (scripts/slurm/start-cluster.sh):
 * a 3-worker array running `dlth run`, the merge job after it (deploy/slurm/submit.sh), the result
 * compared with a single-process run; then a killed worker resubmitted alone. Needs root and apt:
 * skipped with a message when they are missing, except under CI, where it must run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verifyDataset } from '../../src/shards/verify.js';
import { jobStates, REPO, sbatch, scancel, startCluster, stopCluster, until, waitJob, type Cluster } from './cluster.js';
import { datasetDirs, readContent, tempDir } from './helpers.js';

const PIPELINE = join(REPO, 'test', 'scaleout', 'fixtures', 'fmnist-scaleout.json');
const DLTH = ['node', join(REPO, 'bin', 'dlth.js')];
const SUBMIT = join(REPO, 'deploy', 'slurm', 'submit.sh');
const JOB_ENV = { DLTH: DLTH.join(' '), DLTH_BACKEND: 'cpu' };

const started = startCluster();
if ('unavailable' in started && process.env.CI) throw new Error(`CI is set and the Slurm cluster cannot start: ${started.unavailable}`);
const skip = 'unavailable' in started ? `Slurm cluster unavailable: ${started.unavailable}` : false;
if (skip) process.stderr.write(`test/scaleout/slurm: skipped: ${skip}\n`);
const cluster = started as Cluster;
process.on('exit', () => 'dir' in started && stopCluster(started)); // even if the runner dies
after(() => 'dir' in started && stopCluster(started));

/** Submits the pipeline with deploy/slurm/submit.sh; returns every job id line and the last id. */
function submit(out: string, extra: string[] = []): { jobs: string[][]; last: string } {
  const r = spawnSync('bash', [SUBMIT, '-p', PIPELINE, '-o', out, '-n', '3', ...extra, '--', `--chdir=${REPO}`], {
    env: { ...cluster.env, ...JOB_ENV }, encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  return { jobs: lines.slice(0, -1).map((l) => l.split(' ')), last: lines.at(-1) as string };
}

async function assertSameContent(single: string, merged: string): Promise<string[]> {
  const dirs = await datasetDirs(single);
  assert.deepEqual(await datasetDirs(merged), dirs, 'same datasets');
  for (const d of dirs) {
    assert.deepEqual(await readContent(join(merged, d)), await readContent(join(single, d)), `${d}: same metadata and rows`);
    await verifyDataset(join(merged, d));
  }
  return dirs;
}

function logsOf(out: string): string {
  const dir = join(out, 'logs');
  if (!existsSync(dir)) return '';
  return readdirSync(dir).map((f) => `--- ${f}\n${spawnSync('tail', ['-n', '15', join(dir, f)], { encoding: 'utf8' }).stdout}`).join('\n');
}

describe('slurm', { skip }, () => {
  let root = '';
  let single = '';
  before(async () => {
    root = await tempDir('slurm-runs');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('the cluster runs an array job end to end', { timeout: 30_000 }, async () => {
    const id = sbatch(cluster, ['--array=0-2', `--output=${root}/hostname-%a.out`, '--wrap', 'hostname; echo task=$SLURM_ARRAY_TASK_ID']);
    const states = await waitJob(cluster, id);
    assert.deepEqual(Object.values(states), ['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  test('3 workers + merge job = a single-process run', { timeout: 150_000 }, async (t) => {
    const singleOut = join(root, 'single');
    let t0 = performance.now();
    const r = spawnSync(DLTH[0] as string, [...DLTH.slice(1), 'run', PIPELINE, '--out', singleOut, '--quiet'], { env: { ...process.env, ...JOB_ENV }, encoding: 'utf8' });
    const singleSeconds = (performance.now() - t0) / 1000;
    assert.equal(r.status, 0, r.stderr);
    single = singleOut;
    const out = join(root, 'array');
    t0 = performance.now();
    const { jobs, last } = submit(out);
    const mergeStates = await waitJob(cluster, last);
    const slurmSeconds = (performance.now() - t0) / 1000;
    const workers = jobs.find((j) => j[0] === 'workers')?.[2] as string;
    assert.deepEqual(Object.values(jobStates(cluster, workers)), ['COMPLETED', 'COMPLETED', 'COMPLETED'], logsOf(out));
    assert.deepEqual(Object.values(mergeStates), ['COMPLETED'], logsOf(out));
    const dirs = await assertSameContent(single, out);
    const note = `wall time: single process ${singleSeconds.toFixed(1)} s; 3-worker Slurm array + merge ${slurmSeconds.toFixed(1)} s (${dirs.length} datasets)`;
    t.diagnostic(note);
    process.stderr.write(`test/scaleout/slurm: ${note}\n`);
  });

  test('a killed worker, resubmitted alone, completes the merge; the others are not redone', { timeout: 150_000 }, async () => {
    assert.ok(single, 'needs the single-process run of the previous test');
    const out = join(root, 'killed');
    const { jobs, last } = submit(out);
    const workers = jobs.find((j) => j[0] === 'workers')?.[2] as string;
    const part = join(out, 'datasets', 'full', 'train', 'workers', '1-of-3');
    // Worker 1's pieces are named by their global shard index: its first is whichever appears first.
    const shards = (): string[] => (existsSync(part) ? readdirSync(part).filter((n) => /^shard-\d+\.arrow$/.test(n)).sort() : []);
    const running = (): boolean => Object.values(jobStates(cluster, workers)).some((x) => ['PENDING', 'RUNNING', 'CONFIGURING'].includes(x));
    await until(() => shards().length > 0 || !running(), 60_000, 'worker 1 to write its first shard');
    const firstShard = join(part, shards()[0] ?? 'shard-00000.arrow');
    scancel(cluster, [`${workers}_1`]); // SIGTERM, then SIGKILL after KillWait: dlth stops after the current shard
    const states = await waitJob(cluster, workers);
    assert.equal(states[`${workers}_1`], 'CANCELLED', `worker 1 should have been killed mid-work: ${JSON.stringify(states)}\n${logsOf(out)}`);
    assert.deepEqual(Object.values(await waitJob(cluster, last)), ['CANCELLED'], 'the merge job never runs');
    assert.ok(!existsSync(join(part, 'manifest.json')), 'worker 1 was killed before finishing');
    const refused = spawnSync(DLTH[0] as string, [...DLTH.slice(1), 'merge', out], { encoding: 'utf8' });
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /missing worker 1 of 3/);
    const other = join(out, 'datasets', 'full', 'train', 'workers', '0-of-3', 'shard-00000.arrow'); // worker 0 starts at row 0
    const before = statSync(other).mtimeMs;
    const own = statSync(firstShard).mtimeMs;
    const retry = submit(out, ['-i', '1']);
    assert.deepEqual(Object.values(await waitJob(cluster, retry.last)), ['COMPLETED'], logsOf(out));
    assert.equal(statSync(other).mtimeMs, before, 'worker 0 was not redone');
    assert.equal(statSync(firstShard).mtimeMs, own, 'worker 1 resumed: its complete shards were reused');
    await assertSameContent(single, out);
  });
});
