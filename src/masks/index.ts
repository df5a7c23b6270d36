/** Object masks ([N, H, W] IDX files, nonzero on the object): reading, their cover of a patch grid, and the object recall of patch selections. */
export { readMasks, maskAt, maskRecord, type MaskSet } from './read.js';
export { OBJECT_AT, patchCover, objectPositions, positionFrequency } from './cover.js';
export { PatchStat, patchStats, rankByValue, recallOf, measureRecall, patchRules, type Ranker, type RecallInput, type RecallResult } from './recall.js';
