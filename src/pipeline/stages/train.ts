import type { TrainStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageDescriptor, StageOutput } from './descriptor.js';
import { train } from '../../trainer/train.js';
import { parseDatasetRef, substituteKeep } from '../refs.js';
import { modelPath } from '../layout.js';

export interface TrainRun {
  keep: number | null;
  seed: number;
  /** The run's output directory, relative to the run (`models/…`). */
  path: string;
  /** The run's output directory. */
  out: string;
}

/** A train stage's runs: one per (keep value, seed); seeds default to the pipeline's seed. */
export function trainRuns(ctx: StageContext, stage: TrainStage): TrainRun[] {
  return (stage.keep ?? [null]).flatMap((keep) =>
    (stage.seeds ?? [ctx.seed]).map((seed) => ({ keep, seed, path: modelPath(stage.name, keep, seed), out: ctx.modelDir(stage.name, keep, seed) })),
  );
}

/** One model directory per (keep value, seed). */
function outputs(ctx: StageContext, stage: TrainStage): StageOutput[] {
  return trainRuns(ctx, stage).map((r) => ({ kind: 'directory', path: r.path }));
}

/** Runs every (keep value, seed) of the stage; evaluation sets are named by their references. */
async function runTrain(ctx: StageContext, stage: TrainStage): Promise<Record<string, unknown>> {
  const summary: Record<string, unknown> = {};
  for (const { keep, seed, path: rel, out } of trainRuns(ctx, stage)) {
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
      ...(stage.dataParallel !== undefined ? { dataParallel: stage.dataParallel } : {}),
      ...(stage.weightInit !== undefined ? { weightInit: stage.weightInit } : {}),
      ...(stage.subset !== undefined ? { subset: stage.subset } : {}),
      ...(stage.positionsOnly ? { content: 'mean' as const } : {}),
      ...(stage.augment !== undefined ? { augment: stage.augment } : {}),
      ...(stage.evalEvery !== undefined ? { evalEvery: stage.evalEvery } : {}),
      ...(stage.evitEval !== undefined ? { evitEval: stage.evitEval } : {}),
      ...(stage.stopWhen !== undefined ? { stopWhen: { eval: substituteKeep(stage.stopWhen.eval, keep), patience: stage.stopWhen.patience } } : {}),
      seed,
      out,
      progress: !ctx.quiet,
    });
    summary[rel] = Object.fromEntries(Object.entries(result.eval).map(([name, e]) => [name, e.final.acc]));
  }
  return summary;
}

/** A train stage: runs after the merge; one model directory per (keep value, seed). */
/** The materialize stages of its training and evaluation sets, for each of its keep values. */
function dependsOn(stage: TrainStage): string[] {
  const refs = [stage.train, ...(stage.eval ?? []), ...(stage.stopWhen ? [stage.stopWhen.eval] : [])];
  const texts = (stage.keep ?? [null]).flatMap((keep) => refs.map((ref) => substituteKeep(ref, keep)));
  return [...new Set(texts.flatMap((t) => parseDatasetRef(t)?.stage ?? []))];
}

export const trainStage: StageDescriptor<TrainStage> = { kind: 'train', partitioned: false, outputs, dependsOn, run: runTrain };
