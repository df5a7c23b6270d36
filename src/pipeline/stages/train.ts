import { relative } from 'node:path';
import type { TrainStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageResult } from '../state.js';
import { train } from '../../trainer/train.js';
import { substituteKeep } from '../refs.js';

export interface TrainRun {
  keep: number | null;
  seed: number;
  /** The run's output directory. */
  out: string;
}

/** A train stage's runs: one per (keep value, seed); seeds default to the pipeline's seed. */
export function trainRuns(ctx: StageContext, stage: TrainStage): TrainRun[] {
  return (stage.keep ?? [null]).flatMap((keep) =>
    (stage.seeds ?? [ctx.seed]).map((seed) => ({ keep, seed, out: ctx.modelDir(stage.name, keep, seed) })),
  );
}

/** Runs every (keep value, seed) of the stage; evaluation sets are named by their references. */
export async function runTrain(ctx: StageContext, stage: TrainStage): Promise<StageResult> {
  const outputs: string[] = [];
  const summary: Record<string, unknown> = {};
  for (const { keep, seed, out } of trainRuns(ctx, stage)) {
    const rel = relative(ctx.out, out);
    ctx.log(`[${stage.name}] ${stage.model} on ${substituteKeep(stage.train, keep)}, seed ${seed} → ${rel}`);
    const result = await train({
      train: ctx.datasetDir(substituteKeep(stage.train, keep)),
      eval: (stage.eval ?? []).map((ref) => ({ name: ref, dir: ctx.datasetDir(substituteKeep(ref, keep)) })),
      model: stage.model,
      ...(stage.epochs !== undefined ? { epochs: stage.epochs } : {}),
      ...(stage.steps !== undefined ? { steps: stage.steps } : {}),
      ...(stage.batchSize !== undefined ? { batchSize: stage.batchSize } : {}),
      ...(stage.lr !== undefined ? { lr: stage.lr } : {}),
      ...(stage.weightDecay !== undefined ? { weightDecay: stage.weightDecay } : {}),
      ...(stage.warmupEpochs !== undefined ? { warmupEpochs: stage.warmupEpochs } : {}),
      ...(stage.labelSmoothing !== undefined ? { labelSmoothing: stage.labelSmoothing } : {}),
      ...(stage.clipNorm !== undefined ? { clipNorm: stage.clipNorm } : {}),
      flip: stage.flip ?? false,
      ...(stage.subset !== undefined ? { subset: stage.subset } : {}),
      ...(stage.positionsOnly ? { content: 'mean' as const } : {}),
      ...(stage.evalEvery !== undefined ? { evalEvery: stage.evalEvery } : {}),
      ...(stage.evitEval !== undefined ? { evitEval: stage.evitEval } : {}),
      ...(stage.stopWhen !== undefined ? { stopWhen: { eval: substituteKeep(stage.stopWhen.eval, keep), patience: stage.stopWhen.patience } } : {}),
      seed,
      out,
      progress: !ctx.quiet,
    });
    summary[rel] = Object.fromEntries(Object.entries(result.eval).map(([name, e]) => [name, e.final.acc]));
    outputs.push(rel);
  }
  return { outputs, summary };
}
