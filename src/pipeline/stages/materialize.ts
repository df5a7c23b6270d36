import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MaterializeStage, ScoreStage } from '../types.js';
import type { SelectorSpec } from '../../scoring/selector.js';
import type { StageContext } from '../context.js';
import type { StageDescriptor, StageOutput } from './descriptor.js';
import { materialize } from '../../tickets/materialize.js';
import { writePreview } from '../../preview/write.js';
import { formatKeep } from '../refs.js';
import { datasetPath, previewPath } from '../layout.js';
import { workerDatasetDir } from '../partition.js';
import { scoreCheckpoint } from '../semantics.js';

/** One dataset of a materialize stage: a keep value (null: the stage's single keep or k) and a source. */
interface Target {
  keepValue: number | null;
  source: string;
  /** The dataset, relative to the run. */
  dataset: string;
  /** Its preview sheet, relative to the run: ticket, random and saliency datasets of a whole run, unless `preview: false`. */
  preview: string | null;
}

/** The stage's datasets, in order: for each keep value, each source. */
export function materializeTargets(ctx: StageContext, stage: MaterializeStage): Target[] {
  const previews = stage.policy !== 'full' && stage.preview !== false && ctx.worker === null;
  const keeps: (number | null)[] = Array.isArray(stage.keep) ? stage.keep : [null];
  return keeps.flatMap((keepValue) => stage.sources.map((source) => ({
    keepValue,
    source,
    dataset: datasetPath(stage.name, keepValue, source),
    preview: previews ? previewPath(stage.name, keepValue, source) : null,
  })));
}

function outputs(ctx: StageContext, stage: MaterializeStage): StageOutput[] {
  return materializeTargets(ctx, stage).flatMap((t): StageOutput[] => [
    { kind: 'dataset', path: t.dataset },
    ...(t.preview === null ? [] : [{ kind: 'file' as const, path: t.preview }]),
  ]);
}

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
  const checkpoint = named.map(scoreCheckpoint).find((c) => c !== null);
  return checkpoint ? { ...checkpoint } : undefined;
}

/** Materializes one dataset per (keep value, source); previews ticket, random and saliency datasets. */
async function runMaterialize(ctx: StageContext, stage: MaterializeStage): Promise<Record<string, unknown>> {
  const summary: Record<string, unknown> = {};
  const checkpoint = decodeCheckpoint(ctx, stage);
  for (const { keepValue, source: name, dataset: rel, preview } of materializeTargets(ctx, stage)) {
    const keep = keepValue ?? (typeof stage.keep === 'number' ? stage.keep : undefined);
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
      ...(stage.masks?.[name] !== undefined ? { masks: stage.masks[name] } : {}),
      ...(stage.priorMasks !== undefined ? { priorMasks: stage.priorMasks } : {}),
      seed: stage.seed ?? ctx.seed,
      ...(stage.patchEncoding !== undefined ? { patchEncoding: stage.patchEncoding } : {}),
      ...(stage.jpegQuality !== undefined ? { jpegQuality: stage.jpegQuality } : {}),
      scores: stage.scores === undefined || stage.policy !== 'ticket' ? undefined : workerDatasetDir(ctx.scoreDir(stage.scores, name), ctx.worker),
      split: name,
      engine: ctx.engine(dir),
    });
    summary[rel] = { rows: result.rows, shards: result.shards, k: result.manifest.meta.k, failures: result.failures };
    if (preview !== null) {
      await mkdir(dirname(join(ctx.out, preview)), { recursive: true });
      // With the source, dropped patches show the image dimmed under the hatching (not blank).
      await writePreview(dir, { out: join(ctx.out, preview), n: 16, source: await ctx.source(name) });
    }
  }
  return summary;
}

/** A materialize stage: partitioned; one dataset per (keep value, source), and their previews. */
export const materializeStage: StageDescriptor<MaterializeStage> = {
  kind: 'materialize',
  partitioned: true,
  outputs,
  // A ticket reads its score stage's datasets; a named selector checkpoint is a file, not a stage.
  dependsOn: (stage) => (stage.policy === 'ticket' && stage.scores !== undefined ? [stage.scores] : []),
  // The selector checkpoint it decodes as, which a score stage names (possibly a later one).
  reads: (ctx, stage) => {
    const checkpoint = decodeCheckpoint(ctx, stage);
    return checkpoint === undefined ? {} : { decodeAs: checkpoint };
  },
  run: runMaterialize,
};
