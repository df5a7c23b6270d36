import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MaterializeStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageResult } from '../state.js';
import { materialize } from '../../tickets/index.js';
import { writePreview } from '../../preview/index.js';
import { datasetDirName, formatKeep } from '../refs.js';
import { workerDatasetDir } from '../partition.js';

/** Materializes one dataset per (keep value, source); previews ticket and random datasets. */
export async function runMaterialize(ctx: StageContext, stage: MaterializeStage): Promise<StageResult> {
  const keeps: (number | null)[] = Array.isArray(stage.keep) ? stage.keep : [null];
  const outputs: string[] = [];
  const summary: Record<string, unknown> = {};
  for (const keepValue of keeps) {
    const keep = keepValue ?? (typeof stage.keep === 'number' ? stage.keep : undefined);
    for (const name of stage.sources) {
      const rel = datasetDirName(stage.name, keepValue, name);
      const dir = join(ctx.out, rel);
      ctx.log(`[${stage.name}] ${stage.policy}${keep === undefined ? '' : ` keep ${formatKeep(keep)}`} ${name} → ${rel}`);
      const result = await materialize({
        source: await ctx.source(name),
        patchify: ctx.patchify,
        preprocessing: ctx.preprocessing,
        policy: stage.policy,
        ...(stage.k !== undefined ? { k: stage.k } : {}),
        ...(keep !== undefined ? { keep } : {}),
        ...(stage.keepFrom !== undefined ? { keepFrom: stage.keepFrom } : {}),
        ...(stage.rate !== undefined ? { rate: stage.rate } : {}),
        ...(stage.rankPrefix ? { rankPrefix: true } : {}),
        seed: stage.seed ?? ctx.seed,
        out: dir,
        scores: stage.scores === undefined ? undefined : workerDatasetDir(ctx.scoreDir(stage.scores, name), ctx.worker),
        worker: ctx.worker,
        align: ctx.align,
        force: true,
        shardBytes: ctx.shardBytes,
        concurrency: ctx.concurrency,
        maxFailures: ctx.maxFailures,
        progress: !ctx.quiet,
        split: name,
      });
      summary[rel] = { rows: result.rows, shards: result.shards, k: result.manifest.meta.k, failures: result.failures };
      outputs.push(rel);
      if (stage.policy !== 'full' && stage.preview !== false && ctx.worker === null) {
        const sheet = join('previews', `${rel.slice('datasets/'.length).replaceAll('/', '-')}.png`);
        await mkdir(join(ctx.out, 'previews'), { recursive: true });
        await writePreview(dir, { out: join(ctx.out, sheet), n: 16 });
        outputs.push(sheet);
      }
    }
  }
  return { outputs, summary };
}
