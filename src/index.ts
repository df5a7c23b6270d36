/**
 * dlth's public library API (package.json `exports` → dist/src/index.js after `npm run build`):
 * the offline stages, the shard format, the loader, the trainer and the pipeline runner, plus the
 * typed errors every function throws. The CLI (src/cli/) is built on exactly these.
 */
// Sources and patchify
export { openSource } from './sources/open.js';
export { SOURCE_KINDS, type SourceKind } from './sources/registry.js';
export type { Source, SourceConfig, SampleRef, ImagePayload } from './sources/types.js';
export { patchify } from './patchify/patchify.js';
export { resolvePatchifyConfig } from './patchify/config.js';
export { ResizeMode, Interpolation, type PatchifyConfig, type PatchGrid } from './patchify/types.js';
// Compute backend and model
export { initBackend } from './backend/init.js';
export { backendReport, formatBackendReport } from './backend/report.js';
export { ViT } from './model/vit.js';
export { variantConfig, type ViTConfig } from './model/configs.js';
// Offline stages (on the sharded-stage engine)
export { scoreSource, SCORE_DEFAULTS, type ScoreOptions, type ScoreResult } from './scoring/score.js';
export { loadSelector, type SelectorSpec, type LoadedSelector } from './scoring/selector.js';
export { materialize, type MaterializeOptions, type MaterializeResult } from './tickets/materialize.js';
export { policyNames, registerPolicy } from './tickets/policies/index.js';
export type { PolicySpec } from './tickets/policies/types.js';
export { runSharded, type ShardedStage, type EngineResult } from './engine/run.js';
export { workerRange, type WorkerSlot } from './engine/partition.js';
export { acquireLock, LockedError } from './engine/lock.js';
export { OutputExistsError } from './engine/output.js';
export { inspectParts, placeParts } from './engine/merge.js';
export { parseFailures, ERRORS_FILE, type FailureRecord } from './engine/failures.js';
export type { EngineOptions } from './engine/options.js';
// The shard format
export { openDataset, ticketBatches, scoreBatches, type Dataset } from './shards/reader.js';
export { ticketRows, scoreRows } from './shards/rows.js';
export { verifyDataset, type VerifyResult } from './shards/verify.js';
export { parseManifest, buildManifest, MANIFEST_FILE } from './shards/manifest.js';
export { createTicketWriter, createScoreWriter } from './shards/writer.js';
export { DatasetKind, Policy, FORMAT_NAME, FORMAT_VERSION, type DatasetMeta, type Manifest, type ManifestShard, type TicketRow, type ScoreRow } from './shards/types.js';
// Loader and trainer
export { TicketLoader } from './loader/loader.js';
export type { LoaderOptions } from './loader/options.js';
export type { TokenAugmentOptions } from './loader/augment/tokens.js';
// Views (K seeded random-resized crops per image): options, the crop of a view, the view a reader picks
export { resolveViews, MAX_VIEWS, VIEWS_DEFAULTS, type ViewsOptions } from './views/spec.js';
export { viewCrop } from './views/crop.js';
export { pickView } from './views/pick.js';
export type { ViewsMeta, RowView } from './shards/types.js';
export type { Batch } from './loader/batch.js';
export type { LoaderState } from './loader/state.js';
export { train } from './trainer/train.js';
export { resolveTrainConfig, type TrainConfig, type TrainOptions } from './trainer/config.js';
export type { TrainSummary } from './trainer/outputs.js';
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
