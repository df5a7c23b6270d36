/**
 * dlth's public library API (package.json `exports` → dist/src/index.js after `npm run build`):
 * the offline stages, the shard format, the loader, the trainer and the pipeline runner, plus the
 * typed errors every function throws. The CLI (src/cli/) is built on exactly these.
 */
// Sources and patchify
export { openSource, SOURCE_KINDS, type SourceKind } from './sources/index.js';
export type { Source, SourceConfig, SampleRef, ImagePayload } from './sources/types.js';
export { patchify, resolvePatchifyConfig, ResizeMode, Interpolation, type PatchifyConfig, type PatchGrid } from './patchify/index.js';
// Compute backend and model
export { initBackend, backendReport, formatBackendReport } from './backend/index.js';
export { ViT, variantConfig, type ViTConfig } from './model/index.js';
// Offline stages (on the sharded-stage engine)
export { scoreSource, loadSelector, SCORE_DEFAULTS, type ScoreOptions, type ScoreResult, type SelectorSpec, type LoadedSelector } from './scoring/index.js';
export { materialize, policyNames, registerPolicy, type MaterializeOptions, type MaterializeResult, type PolicySpec } from './tickets/index.js';
export {
  runSharded, workerRange, acquireLock, LockedError, OutputExistsError, inspectParts, placeParts, parseFailures, ERRORS_FILE,
  type ShardedStage, type EngineOptions, type EngineResult, type WorkerSlot, type FailureRecord,
} from './engine/index.js';
// The shard format
export {
  openDataset, ticketRows, scoreRows, ticketBatches, scoreBatches, verifyDataset, parseManifest, buildManifest, createTicketWriter, createScoreWriter,
  DatasetKind, Policy, FORMAT_NAME, FORMAT_VERSION, MANIFEST_FILE,
  type Dataset, type DatasetMeta, type Manifest, type ManifestShard, type TicketRow, type ScoreRow, type VerifyResult,
} from './shards/index.js';
// Loader and trainer
export { TicketLoader, type LoaderOptions, type Batch, type LoaderState } from './loader/index.js';
export { train, resolveTrainConfig, type TrainConfig, type TrainOptions, type TrainSummary } from './trainer/index.js';
// Pipelines and job arrays
export { loadPipeline } from './pipeline/load.js';
export { runPipeline, type RunOptions } from './pipeline/runner.js';
export { mergeRun, MergeRefusedError, type MergeOptions, type MergeResult } from './pipeline/merge.js';
export type { StageRecord, StageResult } from './pipeline/state.js';
export type { Pipeline, Stage, LoadedPipeline } from './pipeline/types.js';
// Errors
export {
  DlthError, InputError, ImageError, PipelineError, ShardError, ManifestError, BackendError, ModelError, CheckpointError, IoError,
  InterruptedError, TooManyFailuresError, ErrorCode,
} from './util/errors.js';
