/**
 * `dlth run --jobs N`: the stages of a pipeline as a dependency graph (each descriptor names the
 * stages it reads), and a scheduler that runs each stage in its own process, up to N at once, a
 * stage only after every stage it depends on has finished. A failed stage stops new starts; the
 * running ones finish; the run fails with the first failure. How a stage's process is started is
 * the caller's (the CLI re-runs itself on one stage).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Stage } from './types.js';
import type { StageRegistry } from './stages/index.js';
import { InputError, show } from '../util/errors.js';
import { stopSignal } from '../util/abort.js';

/** Stage name → the names of the earlier stages it depends on, in pipeline order. */
export function stageDependencies(stages: readonly Stage[], registry: StageRegistry, file: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const stage of stages) {
    const d = Object.hasOwn(registry, stage.kind) ? registry[stage.kind] : undefined;
    if (!d) throw new InputError(`stage ${show(stage.name)}: unknown kind ${show(stage.kind)}`, { file });
    const named = d.dependsOn(stage);
    const unknown = named.find((n) => !deps.has(n));
    if (unknown !== undefined) throw new InputError(`stage ${show(stage.name)} reads stage ${show(unknown)}, which is not an earlier stage`, { file });
    deps.set(stage.name, named);
  }
  return deps;
}

/** The stages not started whose dependencies have all finished, in pipeline order. */
export function readyStages(deps: ReadonlyMap<string, readonly string[]>, started: ReadonlySet<string>, finished: ReadonlySet<string>): string[] {
  return [...deps].filter(([name, needs]) => !started.has(name) && needs.every((n) => finished.has(n))).map(([name]) => name);
}

/** How one stage's process is started: `node <args>` with `env`; `relay` says which of its stderr lines to show (default: all). */
export interface StageCommand {
  args: string[];
  env: NodeJS.ProcessEnv;
  relay?(line: string): boolean;
}

/** What a stage process reported: its exit code, its status line's status, its last error line. */
export interface StageExit {
  stage: string;
  code: number;
  status: string | null;
  error: string | null;
}

/** A stage process exited non-zero: the CLI exits with its code and prints its error line. */
export class StageProcessError extends Error {
  readonly exit: StageExit;
  constructor(exit: StageExit) {
    super(exit.error ?? `dlth: error: stage ${show(exit.stage)} exited with code ${exit.code}`);
    this.name = 'StageProcessError';
    this.exit = exit;
  }
}

/** The prefix of a status line a stage process writes on stdout: `dlth-stage <name> <ran|reused>`. */
export const STATUS_PREFIX = 'dlth-stage ';

/** Exit code of a process killed by a signal (as a shell reports SIGINT). */
const KILLED = 130;

function lines(stream: Readable, each: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', each);
}

/** Starts one stage's process; its stderr lines go to `log` whole, prefixed with the stage's name unless they carry it. */
function startStage(stage: string, command: StageCommand, log: (m: string) => void, warn: (m: string) => void): { kill(): void; done: Promise<StageExit> } {
  const child = spawn(process.execPath, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exit: StageExit = { stage, code: 0, status: null, error: null };
  lines(child.stdout, (line) => {
    if (line.startsWith(STATUS_PREFIX)) exit.status = line.slice(STATUS_PREFIX.length).split(' ')[1] ?? null;
  });
  lines(child.stderr, (line) => {
    const text = line.replace(/^.*\r/, '');
    if (text.startsWith('dlth: error:') || text.startsWith('dlth: internal error:')) exit.error = text;
    // Warnings reach the user as the stage printed them, quiet run or not (as in one process).
    if (text.startsWith('dlth: warning:')) warn(text);
    else if (text !== '' && (command.relay?.(text) ?? true)) log(text.startsWith(`[${stage}]`) ? text : `[${stage}] ${text}`);
  });
  const done = new Promise<StageExit>((resolve) => {
    child.on('error', (err) => resolve({ ...exit, code: 1, error: `dlth: error: stage ${show(stage)}: ${err.message}` }));
    child.on('close', (code) => resolve({ ...exit, code: code ?? KILLED }));
  });
  return { kill: () => child.kill('SIGTERM'), done };
}

export interface ScheduleOptions {
  deps: ReadonlyMap<string, readonly string[]>;
  jobs: number;
  command(stage: string): StageCommand;
  log(message: string): void;
  /** A stage's `dlth: warning:` lines (default: stderr, whether or not the run is quiet). */
  warn?(message: string): void;
}

/**
 * Runs every stage of `deps` in its own process, up to `jobs` at once, each after its dependencies.
 * Returns the stages' exits in the order they finished; throws StageProcessError for the first
 * that failed, once the running ones are done. A stop request (SIGTERM) is passed to the running
 * stages; SIGINT from a terminal reaches them directly (one process group).
 */
export async function runScheduled(options: ScheduleOptions): Promise<StageExit[]> {
  const started = new Set<string>();
  const finished = new Set<string>();
  const running = new Map<string, { kill(): void; done: Promise<StageExit> }>();
  const exits: StageExit[] = [];
  let failed: StageExit | null = null;
  const forward = (): void => {
    if (stopSignal.reason !== 'SIGINT') for (const p of running.values()) p.kill();
  };
  stopSignal.addEventListener('abort', forward);
  try {
    for (;;) {
      const stopping = failed !== null || stopSignal.aborted;
      for (const name of stopping ? [] : readyStages(options.deps, started, finished).slice(0, options.jobs - running.size)) {
        started.add(name);
        options.log(`[${name}] started (${running.size + 1} of at most ${options.jobs} stage processes)`);
        running.set(name, startStage(name, options.command(name), options.log, options.warn ?? ((m) => process.stderr.write(`${m}\n`))));
      }
      if (running.size === 0) break;
      const exit = await Promise.race([...running.values()].map((p) => p.done));
      running.delete(exit.stage);
      exits.push(exit);
      if (exit.code === 0) finished.add(exit.stage);
      else failed ??= exit;
    }
  } finally {
    stopSignal.removeEventListener('abort', forward);
  }
  if (failed) throw new StageProcessError(failed);
  if (finished.size < options.deps.size) throw new StageProcessError({ stage: '', code: KILLED, status: null, error: 'dlth: error: interrupted: rerun the same command to resume' });
  return exits;
}
