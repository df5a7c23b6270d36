import { localPath } from '../util/local-path.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadPipeline } from '../pipeline/load.js';
import { runPipeline } from '../pipeline/runner.js';
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
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, flags: RunFlags) => {
      const loaded = await loadPipeline(file);
      const worker = flags.worker !== undefined ? parseWorker(flags.worker) : workerFromEnv(process.env, flags.workers);
      const backend = flags.backend ?? loaded.pipeline.backend;
      await initBackend(backend === undefined ? {} : { backend: backend as 'auto' });
      const records = await runPipeline(loaded, {
        out: localPath('--out', flags.out),
        worker,
        quiet: flags.quiet ?? false,
        maxFailures: flags.maxFailures === undefined ? undefined : Number(flags.maxFailures),
        concurrency: flags.concurrency === undefined ? undefined : Number(flags.concurrency),
        only: flags.only?.split(',').map((s) => s.trim()),
      });
      const ran = records.filter((r) => r.status === 'ran').length;
      process.stdout.write(`dlth run: ${loaded.pipeline.name}: ${records.length} stages (${ran} ran, ${records.length - ran} reused) → ${resolve(flags.out)}\n`);
    });
}
