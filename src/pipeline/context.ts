import { join } from 'node:path';
import type { LoadedPipeline, PatchifySpec, Stage } from './types.js';
import type { PatchifyConfig } from '../patchify/types.js';
import type { Source } from '../sources/types.js';
import type { WorkerSlot } from '../engine/partition.js';
import { ENGINE_DEFAULTS, type EngineOptions } from '../engine/options.js';
import { openSource } from '../sources/open.js';
import { resolvePatchifyConfig } from '../patchify/config.js';
import { sharpKernel, type PreprocessingOverrides } from '../preprocessing/resolve.js';
import { InputError, show } from '../util/errors.js';
import { parseDatasetRef } from './refs.js';
import { datasetPath, modelPath, scoresPath } from './layout.js';

export type { WorkerSlot };

/** Everything a stage needs from the run: resolved config, output layout, shared sources. */
export interface StageContext {
  loaded: LoadedPipeline;
  out: string;
  patchify: PatchifyConfig;
  /** The preprocessing fields the pipeline sets explicitly: they override a selector checkpoint's and a score dataset's. */
  preprocessing: PreprocessingOverrides;
  seed: number;
  /**
   * The engine options of a sharded stage writing `out` (batch grid `batchSize`, default the
   * engine's): the run's worker, alignment, decode concurrency, shard size and failure budget,
   * built in one place for every stage; finished datasets of another configuration are replaced.
   */
  engine(out: string, batchSize?: number): EngineOptions;
  worker: WorkerSlot | null;
  /** Worker ranges of every sharded stage start on multiples of this (so a worker's materialize finds its scores in its own score part). */
  align: number;
  quiet: boolean;
  log(message: string): void;
  source(name: string): Promise<Source>;
  /** Absolute directory of a materialized dataset reference (`stage[@keep]/source`). */
  datasetDir(ref: string): string;
  scoreDir(stage: string, source: string): string;
  modelDir(stage: string, keep: number | null, seed: number): string;
  stage(name: string): Stage;
}

export interface ContextOptions {
  out: string;
  worker: WorkerSlot | null;
  quiet: boolean;
  concurrency?: number;
  maxFailures?: number;
  log(message: string): void;
}

export function createContext(loaded: LoadedPipeline, options: ContextOptions): StageContext {
  const p = loaded.pipeline;
  const sources = new Map<string, Promise<Source>>();
  const align = partitionAlign(p.stages);
  const size = p.patchify.imageSize;
  const patchify = resolvePatchifyConfig({
    ...p.patchify,
    imageSize: typeof size === 'number' ? [size, size] : size,
    interpolation: p.patchify.interpolation === undefined ? undefined : sharpKernel(p.patchify.interpolation, 'patchify.interpolation'),
  });
  return {
    loaded,
    out: options.out,
    patchify,
    preprocessing: pipelineOverrides(p.patchify),
    seed: p.seed ?? 0,
    engine: (out, batchSize) => ({
      out,
      worker: options.worker,
      align,
      force: true,
      concurrency: options.concurrency ?? p.concurrency ?? ENGINE_DEFAULTS.concurrency,
      maxFailures: options.maxFailures ?? p.maxFailures ?? ENGINE_DEFAULTS.maxFailures,
      shardBytes: p.shardBytes ?? ENGINE_DEFAULTS.shardBytes,
      compression: p.shards?.compression ?? ENGINE_DEFAULTS.compression,
      progress: !options.quiet,
      ...(batchSize !== undefined ? { batchSize } : {}),
    }),
    worker: options.worker,
    align,
    quiet: options.quiet,
    log: options.log,
    source(name) {
      const config = p.sources[name];
      if (!config) throw new InputError(`unknown source ${show(name)}`, { file: loaded.file });
      let s = sources.get(name);
      if (!s) {
        s = openSource(config);
        sources.set(name, s);
      }
      return s;
    },
    datasetDir(text) {
      const ref = parseDatasetRef(text);
      if (!ref) throw new InputError(`bad dataset reference ${show(text)}`, { file: loaded.file });
      return join(options.out, datasetPath(ref.stage, ref.keep, ref.source));
    },
    scoreDir: (stage, source) => join(options.out, scoresPath(stage, source)),
    modelDir: (stage, keep, seed) => join(options.out, modelPath(stage, keep, seed)),
    stage(name) {
      const s = p.stages.find((x) => x.name === name);
      if (!s) throw new InputError(`unknown stage ${show(name)}`, { file: loaded.file });
      return s;
    },
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The least common multiple of every sharded stage's batch size (score stages' own, the engine's default otherwise). */
export function partitionAlign(stages: readonly Stage[]): number {
  const batch = ENGINE_DEFAULTS.batchSize;
  const sizes = stages.map((s) => (s.kind === 'score' ? (s.batchSize ?? batch) : batch));
  return sizes.reduce((a, b) => (a * b) / gcd(a, b), batch);
}

/** The preprocessing fields a pipeline sets explicitly (mean, std, resize, cropPct, interpolation). */
export function pipelineOverrides(p: PatchifySpec): PreprocessingOverrides {
  const { mean, std, resize, cropPct, interpolation } = p;
  return Object.fromEntries(Object.entries({ mean, std, resize, cropPct, interpolation }).filter(([, v]) => v !== undefined)) as PreprocessingOverrides;
}
