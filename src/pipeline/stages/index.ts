import type { StageDescriptors } from './descriptor.js';
import { materializeStage } from './materialize.js';
import { scoreStage } from './score.js';
import { trainStage } from './train.js';
import { reportStage } from './report.js';

export type { OutputKind, StageDescriptor, StageDescriptors, StageOf, StageOutput, StageRegistry } from './descriptor.js';

/** Stage kind → its descriptor (whether it is partitioned, what it writes, how it runs). */
export const stageDescriptors: StageDescriptors = {
  materialize: materializeStage,
  score: scoreStage,
  train: trainStage,
  report: reportStage,
};
