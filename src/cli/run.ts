import { localPath } from '../util/local-path.js';
import { Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { loadPipeline } from '../pipeline/load.js';
import { runPipeline } from '../pipeline/runner.js';
import { STATUS_PREFIX, StageProcessError, type StageCommand } from '../pipeline/scheduler.js';
import { parseNumber } from './numbers.js';
import { isNoise, verboseRequested } from './quiet.js';
import { InputError } from '../util/errors.js';
import { parseWorker, workerFromEnv } from '../pipeline/worker.js';
import { initBackend } from '../backend/init.js';

interface RunFlags {
  out: string;
  worker?: string;
  workers?: string;
  maxFailures?: string;
  concurrency?: string;
  only?: string;
  backend?: string;
  quiet?: boolean;
  jobs?: string;
  threads?: string;
  stageProcess?: boolean;
}

/**
 * TensorFlow intra-op threads of every stage: `--threads`, else TF_NUM_INTRAOP_THREADS, else one per
 * core. It never depends on --jobs: a model trained with 1 and with 2 threads differs in its last
 * bits (TensorFlow's reductions split by thread), so a stage's outputs must not follow N.
 */
function stageThreads(flags: RunFlags): number {
  if (flags.threads !== undefined) return parseNumber('threads', flags.threads, { integer: true, min: 1 });
  const env = Number.parseInt(process.env.TF_NUM_INTRAOP_THREADS ?? '', 10);
  return Number.isFinite(env) && env > 0 ? env : availableParallelism();
}

/** `--jobs`, else as many stage processes as the cores hold at `threads` each (2 × 1 thread was 1.5× the throughput of 1 × 2 on 2 cores). */
function jobCount(flags: RunFlags, threads: number): number {
  return flags.jobs !== undefined ? parseNumber('jobs', flags.jobs, { integer: true, min: 1 }) : Math.max(1, Math.floor(availableParallelism() / threads));
}

/** How the parent starts one stage's process: this CLI again, on that stage only, under the parent's lock. */
function stageCommand(file: string, flags: RunFlags, threads: number): (stage: string) => StageCommand {
  const passed = (['maxFailures', 'concurrency', 'backend'] as const).flatMap((k) => {
    const v = flags[k];
    return v === undefined ? [] : [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v];
  });
  const verbose = verboseRequested(process.argv);
  return (stage) => ({
    args: [...process.execArgv, process.argv[1] as string, 'run', file, '--out', flags.out, '--only', stage, '--stage-process', ...passed, ...(flags.quiet ? ['-q'] : []), ...(verbose ? ['--verbose'] : [])],
    env: { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads) },
    relay: (line) => verbose || !isNoise(line),
  });
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a pipeline file (validated first); rerunning the same command resumes')
    .argument('<pipeline>', 'pipeline JSON file (see schemas/pipeline.schema.json)')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--worker <i/N>', 'run as worker i of N (0-based) of a job array; see `dlth merge`')
    .option('--workers <N>', 'worker count when the index comes from the environment (JOB_COMPLETION_INDEX)')
    .option('--max-failures <n>', 'undecodable images tolerated before the run fails (default: the pipeline, else 0)')
    .option('--concurrency <n>', 'decode concurrency (default: the pipeline, else 2)')
    .option('--only <stages>', 'comma-separated stage names to run')
    .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu (default: DLTH_BACKEND, else auto)')
    .option('-j, --jobs <N>', 'stage processes at once, each after the stages it reads (default: cores / threads)')
    .option('--threads <T>', 'TensorFlow threads of each stage; outputs depend on it, never on --jobs (default: TF_NUM_INTRAOP_THREADS, else one per core)')
    .addOption(new Option('--stage-process', 'internal: run the one --only stage for a parent `dlth run --jobs`').hideHelp())
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, flags: RunFlags) => {
      const loaded = await loadPipeline(file);
      const worker = flags.worker !== undefined ? parseWorker(flags.worker) : workerFromEnv(process.env, flags.workers);
      const threads = stageThreads(flags);
      const jobs = flags.stageProcess || (worker && flags.jobs === undefined) ? 1 : jobCount(flags, threads);
      if (worker && jobs > 1) throw new InputError('--jobs with --worker: a worker runs its stages in one process; give each worker its own slot instead');
      if (flags.stageProcess && flags.only?.split(',').length !== 1) throw new InputError('--stage-process runs exactly one --only stage');
      // TensorFlow reads its thread count once, when it loads.
      process.env.TF_NUM_INTRAOP_THREADS = String(threads);
      const backend = flags.backend ?? loaded.pipeline.backend;
      if (jobs === 1) await initBackend(backend === undefined ? {} : { backend: backend as 'auto' });
      const run = runPipeline(loaded, {
        out: localPath('--out', flags.out),
        worker,
        quiet: flags.quiet ?? false,
        maxFailures: flags.maxFailures === undefined ? undefined : Number(flags.maxFailures),
        concurrency: flags.concurrency === undefined ? undefined : Number(flags.concurrency),
        only: flags.only?.split(',').map((s) => s.trim()),
        underParent: flags.stageProcess ?? false,
        ...(jobs > 1 ? { processes: { count: jobs, command: stageCommand(file, flags, threads) } } : {}),
      });
      const records = await run.catch((err: unknown) => {
        if (!(err instanceof StageProcessError)) throw err;
        // A stage process failed: its error line (already shown with its stage's prefix) and its exit code.
        process.stderr.write(`${err.message}\n`);
        process.exitCode = err.exit.code;
        return null;
      });
      if (records === null) return;
      if (flags.stageProcess) {
        for (const r of records) process.stdout.write(`${STATUS_PREFIX}${r.name} ${r.status}\n`);
        return;
      }
      const ran = records.filter((r) => r.status === 'ran').length;
      process.stdout.write(`dlth run: ${loaded.pipeline.name}: ${records.length} stages (${ran} ran, ${records.length - ran} reused) → ${resolve(flags.out)}\n`);
    });
}
