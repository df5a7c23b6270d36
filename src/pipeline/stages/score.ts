import { join } from 'node:path';
import type { ScoreStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageDescriptor, StageOutput } from './descriptor.js';
import { loadSelector, type SelectorSpec } from '../../scoring/selector.js';
import { scoreSource } from '../../scoring/score.js';
import { InputError, show } from '../../util/errors.js';
import { scoresPath } from '../layout.js';
import { trainRuns } from './train.js';
import { viewsOptions } from '../../views/spec.js';

/** The selector a score stage names: a train stage's checkpoint (its only seed), or a file. */
export function selectorSpec(ctx: StageContext, stage: ScoreStage): SelectorSpec {
  if (typeof stage.selector !== 'string') return { ...stage.selector };
  const t = ctx.stage(stage.selector);
  if (t.kind !== 'train') throw new InputError(`selector ${show(stage.selector)} is not a train stage`, { file: ctx.loaded.file });
  return { checkpoint: join(trainRuns(ctx, t)[0].out, 'model.safetensors'), model: t.model };
}

/** One score dataset per source. */
function outputs(_ctx: StageContext, stage: ScoreStage): StageOutput[] {
  return stage.sources.map((name) => ({ kind: 'dataset', path: scoresPath(stage.name, name) }));
}

/** Scores every source with one loaded selector; writes one score dataset per source. */
async function runScore(ctx: StageContext, stage: ScoreStage): Promise<Record<string, unknown>> {
  const selector = await loadSelector(selectorSpec(ctx, stage));
  const summary: Record<string, unknown> = {};
  try {
    for (const name of stage.sources) {
      const rel = scoresPath(stage.name, name);
      const dir = join(ctx.out, rel);
      ctx.log(`[${stage.name}] ${stage.mode ?? 'evit'} scores of ${name} → ${rel}`);
      const result = await scoreSource({
        source: await ctx.source(name),
        patchify: ctx.patchify,
        preprocessing: ctx.preprocessing,
        selector,
        mode: stage.mode ?? 'evit',
        params: { rate: stage.rate, blocks: stage.blocks, layer: stage.layer },
        split: name,
        views: viewsOptions(stage.views),
        engine: ctx.engine(dir, stage.batchSize),
      });
      summary[rel] = { rows: result.rows, failures: result.failures };
      ctx.log(`[${stage.name}] ${name}: ${result.rows} rows${result.upToDate ? ' (up to date, reused)' : ` at ${result.imagesPerSec.toFixed(1)} images/s`}`);
    }
  } finally {
    selector.vit.dispose();
  }
  return summary;
}

/** A score stage: partitioned; one score dataset per source. */
export const scoreStage: StageDescriptor<ScoreStage> = {
  kind: 'score',
  partitioned: true,
  outputs,
  // A selector named by stage is that train stage's checkpoint.
  dependsOn: (stage) => (typeof stage.selector === 'string' ? [stage.selector] : []),
  run: runScore,
};
