/**
 * scoreSource: source → patchify → selector ViT (a scoring mode) → score shards: per image its id,
 * label, N per-patch scores (raster order) and the full rank. The sharded-stage engine
 * (src/engine/) owns partition, batching, decode, shards, failures and progress; this file is the
 * per-batch work: pack the decoded grids, run the mode, append one row per image (K rows, one per
 * view, with `views`: src/views/). Batches sit at fixed positions of the sorted source, and a view
 * depends only on (seed, id, view index), so output is byte-identical however the work is split.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/init.js';
import type { BackendName } from '../backend/types.js';
import { runSharded, type Decoded, type EngineResult, type SampleFailure } from '../engine/run.js';
import { ERRORS_FILE } from '../engine/failures.js';
import type { EngineOptions } from '../engine/options.js';
import { patchify as realPatchify } from '../patchify/patchify.js';
import type { PatchGrid, PatchifyConfig } from '../patchify/types.js';
import type { SelectorInfo, ScoreRow } from '../shards/types.js';
import { createScoreWriter, type ShardWriter } from '../shards/writer.js';
import type { ScoreEncoder } from '../shards/encode/scores.js';
import type { ImagePayload, Source } from '../sources/types.js';
import { contentHash } from './content.js';
import { checkGeometry, scoreMeta } from './meta.js';
import { appliedPreprocessing } from '../engine/meta.js';
import { prepareMode, type ModeOptions, type PreparedMode } from './modes/index.js';
import type { PreprocessingOverrides } from '../preprocessing/resolve.js';
import { loadSelector, scoringPatchify, type LoadedSelector, type SelectorSpec } from './selector.js';
import type { PatchRanking } from './select.js';
import { patchifyViews } from '../patchify/views.js';
import { resolveViews, type ViewsOptions } from '../views/spec.js';
import type { RowView } from '../shards/types.js';

export { ERRORS_FILE };
export const SCORE_DEFAULTS = { mode: 'evit' } as const;

export interface ScoreOptions {
  source: Source;
  /** The caller's patch geometry; a checkpoint with its own preprocessing supplies resize, crop, interpolation and mean/std (see scoringPatchify). */
  patchify: PatchifyConfig;
  /** Explicit preprocessing overrides (flags, pipeline fields): they win over the checkpoint's. */
  preprocessing?: PreprocessingOverrides;
  /** A checkpoint to load, or a selector already loaded (not disposed here). */
  selector: SelectorSpec | LoadedSelector;
  /** evit (default), cls-attn, rollout. */
  mode?: string;
  params?: ModeOptions;
  /** Where and how the run writes (the engine's options: out, worker, batch grid, decode concurrency, shards, failures). */
  engine: EngineOptions;
  /** TF.js backend to initialise; default: the one the caller initialised (initBackend). */
  backend?: BackendName;
  split?: string;
  /** K views of each image (view 0 plain, 1…K−1 random-resized crops; src/views/spec.ts). Default: K = 1, no views. */
  views?: ViewsOptions;
  /** Injectable for tests; default: the patchify stage (it makes the plain view). */
  patchifyFn?: (payload: ImagePayload, config: PatchifyConfig) => Promise<PatchGrid>;
}

export interface ScoreResult extends EngineResult {
  selector: SelectorInfo;
  /** Images scored per second over the run (decode + compute + write); 0 when reused. */
  imagesPerSec: number;
}

interface Item {
  id: string;
  label: number | null;
  /** The image's views (one, the plain view, without views), in view order. */
  views: ItemView[];
}

interface ItemView {
  /** The view's index and crop, recorded in datasets with views; null without views. */
  view: RowView | null;
  grid: PatchGrid;
  /** sha256 of the patch grid: what another lab checks its copy of the image against. */
  content: Uint8Array;
}

function isLoaded(s: SelectorSpec | LoadedSelector): s is LoadedSelector {
  return 'vit' in s;
}

export async function scoreSource(options: ScoreOptions): Promise<ScoreResult> {
  if (options.backend !== undefined) await initBackend({ backend: options.backend });
  const sel = isLoaded(options.selector) ? options.selector : await loadSelector(options.selector);
  try {
    return await run(options, sel);
  } finally {
    if (!isLoaded(options.selector)) sel.vit.dispose();
  }
}

/** Packs the grids into one int32 tensor [B, N, P]. */
function batchTensor(grids: readonly PatchGrid[], n: number, patchDim: number): tf.Tensor3D {
  const data = new Int32Array(grids.length * n * patchDim);
  grids.forEach((g, i) => data.set(g.patches, i * n * patchDim));
  return tf.tensor3d(data, [grids.length, n, patchDim], 'int32');
}

async function scoreBatch(mode: PreparedMode, batch: readonly Decoded<Item>[], writer: ShardWriter<ScoreRow, ScoreEncoder>, n: number, patchDim: number): Promise<SampleFailure[]> {
  // One forward pass over every view of every image of the batch (B·K rows), written in (image, view) order.
  const rows = batch.flatMap((d) => d.value.views.map((v) => ({ id: d.value.id, label: d.value.label, ...v })));
  const x = batchTensor(rows.map((r) => r.grid), n, patchDim);
  let chains: PatchRanking[][];
  try {
    chains = mode.scoreChains ? await mode.scoreChains(x) : [await mode.score(x)];
  } finally {
    x.dispose();
  }
  const [sels, ...further] = chains;
  for (let i = 0; i < rows.length; i++) {
    const { id, label, content, view } = rows[i];
    const row: ScoreRow = { id, label, scores: sels[i].scores, rank: sels[i].rank, content };
    if (further.length > 0) row.chains = further.map((c) => ({ scores: c[i].scores, rank: c[i].rank }));
    if (view) row.view = view;
    await writer.write(row);
  }
  return [];
}

async function run(options: ScoreOptions, sel: LoadedSelector): Promise<ScoreResult> {
  const { source } = options;
  checkGeometry(sel.vit.config, options.patchify, sel.model);
  const cfg = scoringPatchify(sel, options.patchify, options.preprocessing);
  const mode = prepareMode(options.mode ?? SCORE_DEFAULTS.mode, sel.vit, options.params ?? {});
  const preprocessing = appliedPreprocessing(cfg, sel.preprocessing?.from ?? 'default');
  const selector: SelectorInfo = { fingerprint: sel.fingerprint, model: sel.model, mode: mode.name, params: mode.params, preprocessing };
  const { numPatches: n, patchDim } = sel.vit.grid;
  const decode = options.patchifyFn ?? ((payload, config) => realPatchify(payload, config));
  const views = resolveViews(options.views);
  const result = await runSharded({
    label: 'score',
    source,
    meta: scoreMeta({ patchify: cfg, selector, source, split: options.split, views }),
    createWriter: createScoreWriter,
    load: async (index) => {
      const ref = source.ref(index);
      const grids = await patchifyViews(await source.load(index), cfg, ref.id, views, decode);
      return { id: ref.id, label: ref.label, views: grids.map((g) => ({ view: views ? g.view : null, grid: g.grid, content: contentHash(g.grid.patches) })) };
    },
    process: (batch, writer) => scoreBatch(mode, batch, writer, n, patchDim),
  }, options.engine);
  return { ...result, selector, imagesPerSec: result.samplesPerSec };
}
