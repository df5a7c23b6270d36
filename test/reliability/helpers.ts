/**
 * Reliability test helpers: the real CLI as a child process, seeded randomness, whole-tree
 * snapshots and comparisons, polling for files appearing while a child runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DLTH = join(ROOT, 'bin', 'dlth.js');
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A small seeded generator: the model's mulberry32. */
export { mulberry32 as rng } from '../../src/model/rng.js';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident set of the child in KiB, when run under /usr/bin/time. */
  maxRssKiB?: number;
}

export interface Running {
  child: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  done: Promise<Finished>;
}

const TIME = '/usr/bin/time';
export const HAVE_TIME = existsSync(TIME);

/** Starts `node bin/dlth.js …args` (quiet tensorflow logs; optionally under /usr/bin/time -v). */
export function startDlth(args: readonly string[], options: { measure?: boolean; cwd?: string } = {}): Running {
  const measure = options.measure === true && HAVE_TIME;
  const argv = [process.execPath, DLTH, ...args];
  const child = measure
    ? spawn(TIME, ['-v', ...argv], { cwd: options.cwd ?? ROOT, env: childEnv() })
    : spawn(argv[0], argv.slice(1), { cwd: options.cwd ?? ROOT, env: childEnv() });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const r: Finished = { code, signal, stdout: out, stderr: err };
      if (measure) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
        if (m) r.maxRssKiB = Number(m[1]);
        r.stderr = err.replace(/\tCommand being timed:[\s\S]*$/, '').replace(/Command exited with non-zero status \d+\n/, '');
      }
      resolve(r);
    });
  });
  return { child, stderr: () => err, done };
}

function childEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', NO_COLOR: '1' };
}

/** Runs `dlth …args` to the end, killing it after `timeoutMs` (then code is null). */
export async function runDlth(args: readonly string[], options: { measure?: boolean; timeoutMs?: number } = {}): Promise<Finished> {
  const r = startDlth(args, options);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    return await r.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs async jobs with at most `n` at a time, results in input order. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Every regular file under `dir` (relative posix path → bytes), symlinks not followed. */
export function treeSnapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p).split('\\').join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Differences between two snapshots, as readable lines (empty when identical). */
export function treeDiff(want: Map<string, Buffer>, got: Map<string, Buffer>): string[] {
  const lines: string[] = [];
  for (const [name, bytes] of want) {
    const g = got.get(name);
    if (!g) lines.push(`missing: ${name}`);
    else if (!g.equals(bytes)) lines.push(`differs: ${name} (${bytes.length} vs ${g.length} bytes)`);
  }
  for (const name of got.keys()) if (!want.has(name)) lines.push(`extra: ${name}`);
  return lines;
}

/** Relative paths of files under `dir` now (cheap; for polling while a child runs). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let names: import('node:fs').Dirent[];
    try {
      names = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of names) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out;
}

/** Resolves when `pred()` is true (polled every `everyMs`), or false when `stop` settles first. */
export function waitFor(pred: () => boolean, stop: Promise<unknown>, everyMs = 2): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (v: boolean): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve(v);
    };
    const timer = setInterval(() => {
      if (pred()) finish(true);
    }, everyMs);
    void stop.then(() => finish(false), () => finish(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const scratchDirs: string[] = [];
process.on('exit', () => {
  if (process.env.DLTH_KEEP_SCRATCH) return;
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory removed when the test process exits (keep with DLTH_KEEP_SCRATCH=1). */
export function scratch(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.push(d);
  return d;
}
