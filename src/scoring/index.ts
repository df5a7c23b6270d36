/** Public API of the scoring stage: selector ViT → score datasets (per-patch scores and rank). */
export { scoreSource, SCORE_DEFAULTS, ERRORS_FILE, type ScoreOptions, type ScoreResult } from './score.js';
export { loadSelector, applyPreprocessing, headClasses, describeConfig, type SelectorSpec, type LoadedSelector } from './selector.js';
export { patchifyConfigFor, sharpKernel, SHARP_KERNEL, type Preprocessing, type PreprocessingOverrides, type Resample } from '../preprocessing/resolve.js';
export { fromHfProcessor, fromTimmCfg, defaultPreprocessing } from '../preprocessing/read.js';
export { scoreMeta, checkGeometry, type ScoreMetaInput } from './meta.js';
export { prepareMode, modeNames, isModeName, defaultEvitBlocks, ModeName, type ModeFactory, type ModeOptions, type PreparedMode } from './modes/index.js';
export { ascending, combineStages, evitFromMaps, orderByScore, selectStage, singleStage, topK, type PatchRanking, type PruneStep } from './select.js';
export { evitKeepCount, evitKeepCounts } from '../model/evit-counts.js';
