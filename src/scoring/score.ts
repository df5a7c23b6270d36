/**
 * scoreSource: source → patchify → selector ViT (a scoring mode) → score shards: per image its id,
 * label, N per-patch scores (raster order) and the full rank. Decoding of batch i+1 runs while batch
 * i is on the backend (prefetch.ts); shard j holds the rows of slots [j·R, (j+1)·R) of this worker's
 * range that decoded; failures go to errors.jsonl; complete shards of an interrupted run are reused.
 * Output is byte-identical for any batch size (selection is exact on the host, see select.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/index.js';
import type { BackendName } from '../backend/types.js';
import { patchify as realPatchify } from '../patchify/index.js';
import type { PatchGrid, PatchifyConfig } from '../patchify/types.js';
import { partitionRange } from '../sources/partition.js';
import { shardCount, shardSlots } from '../shards/layout.js';
import type { SelectorInfo } from '../shards/types.js';
import { createScoreWriter, type FinalizeResult } from '../shards/writer.js';
import type { ImagePayload, Source } from '../sources/types.js';
import { commitFailures, failureRecord, ERRORS_FILE, type FailureRecord } from '../tickets/failures.js';
import { stopSignal, throwIfStopped } from '../util/abort.js';
import { InputError } from '../util/errors.js';
import { nodeFs, type Fs } from '../util/fsx.js';
import { createProgress } from '../util/progress.js';
import { checkGeometry, scoreMeta } from './meta.js';
import { prepareMode, type ModeOptions, type PreparedMode } from './modes/index.js';
import { prefetchBatches } from './prefetch.js';
import type { Selection } from './select.js';
import { loadSelector, type LoadedSelector, type SelectorSpec } from './selector.js';

export { ERRORS_FILE };
export const SCORE_DEFAULTS = { mode: 'evit', batchSize: 32 } as const;

export interface ScoreOptions {
  source: Source;
  patchify: PatchifyConfig;
  /** A checkpoint to load, or a selector already loaded (not disposed here). */
  selector: SelectorSpec | LoadedSelector;
  /** evit (default), cls-attn, rollout. */
  mode?: string;
  params?: ModeOptions;
  batchSize?: number;
  out: string;
  /** Worker i of N: scores only its static partition of the sorted source. */
  worker?: { index: number; count: number } | null;
  /** TF.js backend to initialise; default: the one the caller initialised (initBackend). */
  backend?: BackendName;
  progress?: boolean;
  /** Failed samples tolerated (default 0). */
  maxFailures?: number;
  shardBytes?: number;
  batchBytes?: number;
  split?: string;
  fs?: Fs;
  signal?: AbortSignal;
  /** Injectable for tests; default: the patchify stage. */
  patchifyFn?: (payload: ImagePayload, config: PatchifyConfig) => Promise<PatchGrid>;
}

export interface ScoreResult extends FinalizeResult {
  failures: number;
  selector: SelectorInfo;
  /** Images scored per second over the run (decode + compute + write). */
  imagesPerSec: number;
}

interface Decoded {
  id: string;
  label: number | null;
  grid: PatchGrid;
}

function isLoaded(s: SelectorSpec | LoadedSelector): s is LoadedSelector {
  return 'vit' in s;
}

/** Packs the batch's patch grids into one int32 tensor [B, N, P]. */
function batchTensor(items: readonly Decoded[], n: number, patchDim: number): tf.Tensor3D {
  const data = new Int32Array(items.length * n * patchDim);
  items.forEach((d, i) => data.set(d.grid.patches, i * n * patchDim));
  return tf.tensor3d(data, [items.length, n, patchDim], 'int32');
}

async function scoreBatch(mode: PreparedMode, items: readonly Decoded[], n: number, patchDim: number): Promise<Selection[]> {
  const x = batchTensor(items, n, patchDim);
  try {
    return await mode.score(x);
  } finally {
    x.dispose();
  }
}

export async function scoreSource(options: ScoreOptions): Promise<ScoreResult> {
  const batchSize = options.batchSize ?? SCORE_DEFAULTS.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`);
  if (options.backend !== undefined) await initBackend({ backend: options.backend });
  const sel = isLoaded(options.selector) ? options.selector : await loadSelector(options.selector);
  try {
    return await run(options, sel, batchSize);
  } finally {
    if (!isLoaded(options.selector)) sel.vit.dispose();
  }
}

async function run(options: ScoreOptions, sel: LoadedSelector, batchSize: number): Promise<ScoreResult> {
  const { source, patchify: cfg } = options;
  checkGeometry(sel.vit.config, cfg, sel.model);
  const mode = prepareMode(options.mode ?? SCORE_DEFAULTS.mode, sel.vit, options.params ?? {});
  const selector: SelectorInfo = { fingerprint: sel.fingerprint, model: sel.model, mode: mode.name, params: mode.params };
  const meta = scoreMeta({ patchify: cfg, selector, source, split: options.split });
  const { numPatches: n, patchDim } = sel.vit.grid;
  const range = partitionRange(source.size, options.worker ?? null);
  const slots = range.end - range.start;
  const fs = options.fs ?? nodeFs;
  const writer = await createScoreWriter({ dir: options.out, meta, fs, shardBytes: options.shardBytes, batchBytes: options.batchBytes,
    runKey: `${source.fingerprint}:${source.size}:${range.start}-${range.end}` });
  const count = shardCount(slots, writer.layout);
  const failures: FailureRecord[] = [];
  const progress = createProgress({ label: 'score', total: slots, unit: 'img', quiet: options.progress === false });
  const decode = options.patchifyFn ?? ((payload, config) => realPatchify(payload, config));
  const load = async (index: number): Promise<Decoded> => {
    const ref = source.ref(index);
    return { id: ref.id, label: ref.label, grid: await decode(await source.load(index), cfg) };
  };
  const signal = options.signal ?? stopSignal;
  const started = performance.now();
  let scored = 0;
  try {
    for (let j = 0; j < count; j++) {
      throwIfStopped(signal);
      const [s0, s1] = shardSlots(j, slots, writer.layout);
      const reused = writer.reusedShard(j);
      if (reused) {
        failures.push(...((reused.extra as FailureRecord[] | undefined) ?? []));
        progress.tick(s1 - s0, `shard ${j} reused`);
        continue;
      }
      await writer.beginShard(j);
      const shardFailures: FailureRecord[] = [];
      for await (const batch of prefetchBatches({ start: range.start + s0, end: range.start + s1, batchSize }, load)) {
        throwIfStopped(signal);
        const ok: Decoded[] = [];
        for (const r of batch) {
          if (r.ok) ok.push(r.value);
          else shardFailures.push(failureRecord(source, r.index, r.error));
        }
        const sels = ok.length > 0 ? await scoreBatch(mode, ok, n, patchDim) : [];
        for (let i = 0; i < ok.length; i++) await writer.write({ id: ok[i].id, label: ok[i].label, scores: sels[i].scores, rank: sels[i].rank });
        scored += ok.length;
        progress.tick(batch.length);
      }
      await writer.endShard(shardFailures);
      failures.push(...shardFailures);
    }
    await commitFailures(options.out, failures, options.maxFailures ?? 0, fs);
    const result = await writer.finalize(count);
    const seconds = (performance.now() - started) / 1000;
    progress.done(`${result.rows} rows in ${result.shards} shards`);
    return { ...result, failures: failures.length, selector, imagesPerSec: seconds > 0 ? scored / seconds : 0 };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
