/**
 * A real single-host Slurm cluster for tests (scripts/slurm/start-cluster.sh), and the few client
 * calls the tests need: submit, poll job states, cancel. Polls `scontrol` itself instead of
 * `sbatch --wait`, whose polling interval grows to 10 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
const SCRIPTS = join(REPO, 'scripts', 'slurm');

export interface Cluster {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** Starts a cluster; returns the reason when it cannot (not root, no apt, daemons refuse). */
export function startCluster(): Cluster | { unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'not root (slurmd and apt-get need root)' };
  const dir = mkdtempSync(join(tmpdir(), 'dlth-slurm-'));
  const r = spawnSync('bash', [join(SCRIPTS, 'start-cluster.sh'), dir], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) {
    stopCluster({ dir });
    return { unavailable: `start-cluster.sh failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-8).join(' | ')}` };
  }
  return { dir, env: { ...process.env, SLURM_CONF: join(dir, 'slurm.conf') } };
}

/** Stops the daemons by pid (safe twice, and on a half-started cluster). */
export function stopCluster(cluster: Pick<Cluster, 'dir'>): void {
  spawnSync('bash', [join(SCRIPTS, 'stop-cluster.sh'), cluster.dir, '--rm'], { stdio: 'ignore', timeout: 30_000 });
}

/** `sbatch --parsable …`: the job id. */
export function sbatch(cluster: Cluster, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const out = execFileSync('sbatch', ['--parsable', ...args], { env: { ...cluster.env, ...env }, encoding: 'utf8' });
  return out.trim().split(';')[0] as string;
}

export function scancel(cluster: Cluster, args: string[]): void {
  execFileSync('scancel', args, { env: cluster.env });
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

/** States of a job (one per array task), e.g. { '12_0': 'COMPLETED', … }. */
export function jobStates(cluster: Cluster, id: string): Record<string, string> {
  const r = spawnSync('scontrol', ['-o', 'show', 'job', id], { env: cluster.env, encoding: 'utf8' });
  const states: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const state = /\bJobState=(\S+)/.exec(line)?.[1];
    if (!state) continue;
    const jobId = /\bJobId=(\d+)/.exec(line)?.[1] ?? '';
    const task = /\bArrayTaskId=(\S+)/.exec(line)?.[1];
    states[task ? `${/\bArrayJobId=(\d+)/.exec(line)?.[1] ?? jobId}_${task}` : jobId] = state;
  }
  return states;
}

/** Polls until every task of the job is in a terminal state; returns the states. */
export async function waitJob(cluster: Cluster, id: string, timeoutMs = 120_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = jobStates(cluster, id);
    const values = Object.values(states);
    if (values.length > 0 && values.every((s) => TERMINAL.has(s))) return states;
    if (Date.now() > deadline) throw new Error(`job ${id} not finished after ${timeoutMs} ms: ${JSON.stringify(states)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Polls until `ready()` holds (e.g. a task is running and has started writing). */
export async function until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
