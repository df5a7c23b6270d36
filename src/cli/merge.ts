import { localPath } from '../util/local-path.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { mergeRun } from '../pipeline/merge.js';

interface MergeFlags {
  prune?: boolean;
  quiet?: boolean;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('after all workers of a job array are done: verify every worker part and write the final manifests (idempotent; refuses, naming the missing workers, when a part is absent or broken)')
    .argument('<out>', 'the run directory given to `dlth run --out` by every worker')
    .option('--prune', 'delete each dataset\'s workers/ directory once it is merged')
    .option('-q, --quiet', 'no per-dataset lines')
    .action(async (out: string, flags: MergeFlags) => {
      const log = flags.quiet ? undefined : (m: string) => process.stderr.write(`${m}\n`);
      const result = await mergeRun({ out: localPath('<out>', out), prune: flags.prune ?? false, log });
      const merged = result.datasets.filter((d) => d.status === 'merged').length;
      process.stdout.write(
        `dlth merge: ${result.datasets.length} datasets (${merged} merged, ${result.datasets.length - merged} up to date), ${result.stages.length} stages marked complete → ${resolve(out)}\n`,
      );
    });
}
