import { join } from 'node:path';
import type { ScoreStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageResult } from '../state.js';
import { loadSelector, scoreSource, type SelectorSpec } from '../../scoring/index.js';
import { InputError, show } from '../../util/errors.js';
import { trainRuns } from './train.js';
import { relative } from 'node:path';

/** The selector a score stage names: a train stage's checkpoint (its only seed), or a file. */
export function selectorSpec(ctx: StageContext, stage: ScoreStage): SelectorSpec {
  if (typeof stage.selector !== 'string') return { ...stage.selector };
  const t = ctx.stage(stage.selector);
  if (t.kind !== 'train') throw new InputError(`selector ${show(stage.selector)} is not a train stage`, { file: ctx.loaded.file });
  return { checkpoint: join(trainRuns(ctx, t)[0].out, 'model.safetensors'), model: t.model };
}

/** Scores every source with one loaded selector; writes one score dataset per source. */
export async function runScore(ctx: StageContext, stage: ScoreStage): Promise<StageResult> {
  const selector = await loadSelector(selectorSpec(ctx, stage));
  const outputs: string[] = [];
  const summary: Record<string, unknown> = {};
  try {
    for (const name of stage.sources) {
      const dir = ctx.scoreDir(stage.name, name);
      const rel = relative(ctx.out, dir);
      ctx.log(`[${stage.name}] ${stage.mode ?? 'evit'} scores of ${name} → ${rel}`);
      const result = await scoreSource({
        source: await ctx.source(name),
        patchify: ctx.patchify,
        preprocessing: ctx.preprocessing,
        selector,
        mode: stage.mode ?? 'evit',
        params: { rate: stage.rate, blocks: stage.blocks, layer: stage.layer },
        batchSize: stage.batchSize,
        out: dir,
        worker: ctx.worker,
        align: ctx.align,
        force: true,
        concurrency: ctx.concurrency,
        progress: !ctx.quiet,
        maxFailures: ctx.maxFailures,
        shardBytes: ctx.shardBytes,
        split: name,
      });
      summary[rel] = { rows: result.rows, failures: result.failures };
      ctx.log(`[${stage.name}] ${name}: ${result.rows} rows${result.upToDate ? ' (up to date, reused)' : ` at ${result.imagesPerSec.toFixed(1)} images/s`}`);
      outputs.push(rel);
    }
  } finally {
    selector.vit.dispose();
  }
  return { outputs, summary };
}
