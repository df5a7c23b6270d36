import type { Stage, StageKind } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageResult } from '../state.js';
import { runMaterialize } from './materialize.js';
import { runScore } from './score.js';
import { runTrain } from './train.js';
import { runReport } from './report.js';

type RunnerOf<K extends StageKind> = (ctx: StageContext, stage: Extract<Stage, { kind: K }>) => Promise<StageResult>;

/** Stage kind → the library call that runs it. */
export const stageRunners: { [K in StageKind]: RunnerOf<K> } = {
  materialize: runMaterialize,
  score: runScore,
  train: runTrain,
  report: runReport,
};
