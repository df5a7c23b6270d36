/** Public API of the trainer. */
export { train } from './train.js';
export { resolveTrainConfig, TRAIN_DEFAULTS, type EvalSet, type StepInfo, type StopRule, type TrainConfig, type TrainOptions } from './config.js';
export { plateaued } from './stop.js';
export { evitAccuracy, evitLogits, type EvitEvalSpec } from './evit-eval.js';
export { OUTPUT_FILES, type DatasetRef, type TrainSummary } from './outputs.js';
export { AdamW, ADAMW_DEFAULTS, type AdamWConfig, type AdamWState, type NamedVariable } from './adamw.js';
export { decays, NO_WEIGHT_DECAY_NAMES } from './decay.js';
export { learningRate, type ScheduleConfig } from './schedule.js';
export { smoothedCrossEntropy, smoothedCrossEntropyPerSample, correctCount } from './loss.js';
export { clipByGlobalNorm, globalNorm, type Clipped } from './clip.js';
export { trainStep, evalStep, type HostBatch, type TrainModel, type StepOptions, type StepResult } from './step.js';
export { evaluate } from './evaluate.js';
export { checkCompatible, modelConfigFor } from './datasets.js';
export { asTrainModel, buildModel } from './model.js';
export { ensureGradients } from './gradients.js';
export { curvesSvg, writeCurves } from './curves.js';
export { summarizeEvals, type EpochRecord, type TimingRecord, type LossAcc, type EvalSummary } from './history.js';
export { readStateInfo, STATE_DIR, TRAIN_STATE_VERSION, type TrainState } from './state.js';
