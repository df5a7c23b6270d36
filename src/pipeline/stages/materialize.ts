import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MaterializeStage, ScoreStage } from '../types.js';
import type { SelectorSpec } from '../../scoring/selector.js';
import type { StageContext } from '../context.js';
import type { StageResult } from '../state.js';
import { materialize } from '../../tickets/index.js';
import { writePreview } from '../../preview/index.js';
import { datasetDirName, formatKeep } from '../refs.js';
import { workerDatasetDir } from '../partition.js';

/**
 * What a stage decodes as, besides its scores (policy ticket): the selector checkpoint of the score
 * stage it names, or of the pipeline's score stages when they agree on one (validation refuses
 * them disagreeing); nothing (the pipeline's own settings) for a selector trained in this pipeline
 * or random weights, which decode with those settings too, and for `preprocessing: "pipeline"`.
 */
export function decodeCheckpoint(ctx: StageContext, stage: MaterializeStage): (SelectorSpec & { checkpoint: string }) | undefined {
  if (stage.policy === 'ticket' || stage.preprocessing === 'pipeline') return undefined;
  const scoreStages = ctx.loaded.pipeline.stages.filter((s): s is ScoreStage => s.kind === 'score');
  const named = stage.scores === undefined ? scoreStages : scoreStages.filter((s) => s.name === stage.scores);
  const withCheckpoint = named.find((s) => typeof s.selector !== 'string' && 'checkpoint' in s.selector);
  if (!withCheckpoint || typeof withCheckpoint.selector === 'string' || !('checkpoint' in withCheckpoint.selector)) return undefined;
  return { ...withCheckpoint.selector };
}

/** Materializes one dataset per (keep value, source); previews ticket and random datasets. */
export async function runMaterialize(ctx: StageContext, stage: MaterializeStage): Promise<StageResult> {
  const keeps: (number | null)[] = Array.isArray(stage.keep) ? stage.keep : [null];
  const outputs: string[] = [];
  const summary: Record<string, unknown> = {};
  const checkpoint = decodeCheckpoint(ctx, stage);
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
        requested: { imageSize: ctx.patchify.imageSize, patchSize: ctx.patchify.patchSize, channels: ctx.patchify.channels },
        ...(checkpoint ? { checkpoint } : {}),
        policy: stage.policy,
        ...(stage.k !== undefined ? { k: stage.k } : {}),
        ...(keep !== undefined ? { keep } : {}),
        ...(stage.keepFrom !== undefined ? { keepFrom: stage.keepFrom } : {}),
        ...(stage.rate !== undefined ? { rate: stage.rate } : {}),
        ...(stage.rankPrefix ? { rankPrefix: true } : {}),
        seed: stage.seed ?? ctx.seed,
        out: dir,
        scores: stage.scores === undefined || stage.policy !== 'ticket' ? undefined : workerDatasetDir(ctx.scoreDir(stage.scores, name), ctx.worker),
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
