/**
 * Runs the real CLI (`node --import tsx src/cli/main.ts …`) as a child process: exit code, stdout,
 * stderr, wall time, and the child's peak RSS through GNU time (`/usr/bin/time -f %M`) when asked
 * and available. A child still running after `timeoutMs` is SIGKILLed and reported as such.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const GNU_TIME = '/usr/bin/time';
const RSS_TAG = 'DLTH_TEST_MAXRSS_KB=';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr without GNU time's line. */
  stderr: string;
  lines: string[];
  ms: number;
  killed: boolean;
  /** Peak RSS of the CLI in MiB, or null when not measured. */
  peakMiB: number | null;
}

export interface CliOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  measureMemory?: boolean;
  /** Called once the child is running (e.g. to signal it later). */
  started?: (pid: number) => void;
  /** Called with each chunk of stderr as it arrives (e.g. to signal the child at a given point). */
  onStderr?: (chunk: string) => void;
}

export const canMeasureMemory = existsSync(GNU_TIME);

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const measure = options.measureMemory === true && canMeasureMemory;
  const node = [process.execPath, '--import', 'tsx', MAIN, ...args];
  const [cmd, ...argv] = measure ? [GNU_TIME, '-f', `${RSS_TAG}%M`, ...node] : node;
  const t0 = Date.now();
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    options.onStderr?.(d);
  });
  if (child.pid !== undefined) options.started?.(child.pid);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const rss = new RegExp(`^${RSS_TAG}(\\d+)$`, 'm').exec(stderr);
      const timeLine = (l: string): boolean => measure && (l.startsWith(RSS_TAG) || /^Command (exited with non-zero status|terminated by signal) \d+$/.test(l));
      const clean = stderr.split('\n').filter((l) => !timeLine(l)).join('\n');
      // GNU time exits with the child's status (or 128 + signal).
      resolve({
        code, signal, stdout, stderr: clean, killed, ms: Date.now() - t0,
        lines: clean.split('\n').filter((l) => l.length > 0),
        peakMiB: rss ? Number(rss[1]) / 1024 : null,
      });
    });
  });
}
