/** Public API of the streaming loader. */
export { TicketLoader } from './loader.js';
export { DEFAULT_OPTIONS, resolveOptions, Verify, type LoaderOptions, type ResolvedOptions } from './options.js';
export type { Batch } from './batch.js';
export { NO_LABEL } from './resident.js';
export { checkStateMatches, makeState, parseState, STATE_VERSION, type LoaderState, type OrderKey } from './state.js';
export { getShuffle, shuffles, SHUFFLE_NAMES, DEFAULT_SHUFFLE_PARAMS, type ShuffleFn, type ShuffleName, type ShuffleParams } from './shuffle/index.js';
export { partition, partitions, PARTITION_NAMES, rankSequence, type PartitionFn, type PartitionName, type RankSlice } from './partition.js';
export { flipRow, mirrorPatch, shouldFlip, type FlipGeometry } from './augment/flip.js';
export { subsetIndices, copySubset } from './augment/subset.js';
export { Content, meanPixel, fillMean } from './augment/content.js';
export { openSources, type Sources, type ShardRef } from './sources.js';
export { openStore, HttpStore, isHttpUrl, type HttpStoreOptions } from './store/index.js';
export { readPlan, type ReadPlan, type ShardVisit } from './plan.js';
