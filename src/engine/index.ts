/** Public API of the sharded-stage engine (what score and materialize are built on). */
export { runSharded, type ShardedStage, type EngineResult, type Decoded, type SampleFailure } from './run.js';
export { ENGINE_DEFAULTS, DEFAULT_SHARD_MB, type EngineOptions } from './options.js';
export { workerRange, shardPiece, shardsOf, batchesOf, checkWorker, type WorkerSlot, type RowRange } from './partition.js';
export { decodeBatches, type DecodeOptions } from './decode.js';
export { acquireLock, lockFileOf, LockedError, type Lock, type LockHolder } from './lock.js';
export { planOutput, shardsIntact, OutputExistsError, type OutputPlan, type OutputIdentity } from './output.js';
export { WORKERS_DIR, PART_FILE, workerDirName, parseWorkerDirName, workerDatasetDir, readPart, type PartInfo, type PartPiece } from './part.js';
export { inspectParts, placeParts, type InspectedParts, type PartsProblem, type PlacedDataset } from './merge.js';
export { ERRORS_FILE, failureRecord, parseFailures, readFailures, serializeFailures, commitFailures, type FailureRecord } from './failures.js';
export { metaBase, type MetaBase } from './meta.js';
