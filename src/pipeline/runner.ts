import { rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { LoadedPipeline, Stage } from './types.js';
import { createContext, type StageContext, type WorkerSlot } from './context.js';
import { stageRunners } from './stages/index.js';
import { fingerprint } from '../util/hash.js';
import { nodeFs, removeStaleTemps } from '../util/fsx.js';
import { acquireLock } from '../engine/lock.js';
import { shardsIntact } from '../engine/output.js';
import { openDataset } from '../shards/reader.js';
import { openState, readMarker, readStarted, writeMarker, writeStarted, STATE_DIR, type StageMarker, type StageRecord, type StageResult } from './state.js';
import { throwIfStopped } from '../util/abort.js';
import { TooManyFailuresError } from '../util/errors.js';
import { datasetDirName } from './refs.js';
import { workerDatasetDir } from '../engine/part.js';
import { collectErrors } from './errors-summary.js';
import { trainRuns } from './stages/train.js';
import { usePipelineVocabulary } from './hints.js';

export interface RunOptions {
  out: string;
  worker?: WorkerSlot | null;
  quiet?: boolean;
  concurrency?: number;
  maxFailures?: number;
  /** Run only these stages (and trust earlier stages' outputs). */
  only?: string[];
  log?(message: string): void;
}

/** Stages that can run as worker i of N (offline stages); the others run after `dlth merge`. */
export const PARTITIONED_KINDS: ReadonlySet<Stage['kind']> = new Set(['score', 'materialize']);

/**
 * Runs a pipeline's stages in order. A stage whose completion record matches its fingerprint
 * (config + upstream fingerprints) is reused; others run, resuming their own partial work.
 */
export async function runPipeline(loaded: LoadedPipeline, options: RunOptions): Promise<StageRecord[]> {
  usePipelineVocabulary();
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const worker = options.worker ?? null;
  const ctx = createContext(loaded, { ...options, worker, quiet: options.quiet ?? false, log });
  // One process per run directory (or per worker slot of a job array): a second one is refused.
  const lock = await acquireLock(worker ? join(options.out, STATE_DIR, `worker-${worker.index}-of-${worker.count}`) : options.out);
  try {
    return await runStages(ctx, loaded, options, log);
  } finally {
    await lock.release();
  }
}

async function runStages(ctx: StageContext, loaded: LoadedPipeline, options: RunOptions, log: (m: string) => void): Promise<StageRecord[]> {
  const worker = ctx.worker;
  await openState(options.out, worker);
  // Temporary files of atomic writes interrupted by a kill (`.<name>.tmp-<pid>`) are never reused.
  // Workers of a job array share these directories across hosts, where pids say nothing: a worker
  // sweeps only its own dataset parts (the shard writer does that).
  if (!worker) await removeStaleTemps(options.out);
  const records: StageRecord[] = [];
  const fps = new Map<string, string>();
  for (const stage of loaded.pipeline.stages) {
    throwIfStopped();
    const fp = stageFingerprint(ctx, stage, fps);
    fps.set(stage.name, fp);
    if (worker && !PARTITIONED_KINDS.has(stage.kind)) {
      log(`[${stage.name}] ${stage.kind}: not run by worker ${worker.index}/${worker.count}; run it after \`dlth merge\``);
      continue;
    }
    if (options.only && !options.only.includes(stage.name)) continue;
    const previous = await readMarker(options.out, stage.name, worker);
    if (previous && previous.fingerprint === fp) {
      const broken = await brokenOutput(ctx, previous);
      if (broken === null) {
        log(`[${stage.name}] ${stage.kind}: up to date (${fp}), reusing`);
        records.push({ ...previous, status: 'reused' });
        continue;
      }
      log(`[${stage.name}] ${stage.kind}: finished before, but ${broken}: running it again`);
    }
    await discardIfConfigChanged(ctx, stage, fp, log);
    log(`[${stage.name}] ${stage.kind}: running`);
    const started = performance.now();
    let result: StageResult;
    try {
      result = await stageRunners[stage.kind](ctx, stage as never);
    } catch (err) {
      // Skipped images are recorded even when they fail the run (TooManyFailures): gather the
      // errors.jsonl of the stages done so far and of this one into <out>/errors.jsonl.
      if (err instanceof TooManyFailuresError) {
        const failing = stageOutputDirs(ctx, stage).map((dir) => relative(options.out, dir));
        await collectErrors(options.out, [...datasetOutputs(records), ...failing]);
      }
      throw err;
    }
    const record: StageRecord = { name: stage.name, kind: stage.kind, fingerprint: fp, status: 'ran', ...result };
    await writeMarker(options.out, record, worker);
    log(`[${stage.name}] ${stage.kind}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    records.push(record);
  }
  const failures = await collectErrors(options.out, datasetOutputs(records));
  if (failures > 0) log(`${failures} image(s) were skipped: see ${join(options.out, 'errors.jsonl')}`);
  return records;
}

/** Dataset directories (relative to the run) written by the materialize and score stages of `records`. */
function datasetOutputs(records: readonly StageRecord[]): string[] {
  return records.filter((r) => r.kind === 'materialize' || r.kind === 'score').flatMap((r) => r.outputs.filter((o) => !o.endsWith('.png')));
}

/**
 * A stage that starts records its fingerprint first. Finding a different one means the last
 * attempt ran another configuration: its partial outputs are discarded rather than resumed (train
 * and report outputs; datasets are replaced by the engine, never removed before the new one is done).
 */
async function discardIfConfigChanged(ctx: StageContext, stage: Stage, fp: string, log: (m: string) => void): Promise<void> {
  const started = await readStarted(ctx.out, stage.name, ctx.worker);
  // Datasets are never removed here: the engine replaces a finished one by building the new one
  // beside it and swapping it in when complete, and never resumes another configuration's shards.
  if (started !== null && started !== fp && !PARTITIONED_KINDS.has(stage.kind)) {
    for (const dir of stageOutputDirs(ctx, stage)) await rm(workerDatasetDir(dir, ctx.worker), { recursive: true, force: true });
    log(`[${stage.name}] configuration changed since the last attempt: discarded its previous outputs`);
  }
  if (started !== fp) await writeStarted(ctx.out, stage.name, fp, ctx.worker);
}

/**
 * Finished datasets up to this size are re-hashed before a stage is reused (0.8–1.3 s per GiB
 * here, from the page cache);
 * larger ones have their manifest and every shard's size checked, so a rerun of a pipeline over
 * ImageNet-sized datasets does not re-read them all (`dlth verify` hashes everything).
 */
const REUSE_HASH_BYTES = 1024 * 1024 * 1024;

/**
 * Why a finished stage's outputs can no longer be trusted (null when they can): a dataset without
 * its manifest or with a shard whose size or sha256 changed, or another output that is gone.
 */
async function brokenOutput(ctx: StageContext, marker: StageMarker): Promise<string | null> {
  const datasets = marker.kind === 'materialize' || marker.kind === 'score';
  for (const rel of marker.outputs ?? []) {
    const path = join(ctx.out, rel);
    if (datasets && !rel.endsWith('.png')) {
      const dir = workerDatasetDir(path, ctx.worker);
      const ds = await openDataset(dir).catch(() => null);
      if (!ds) return `${relative(ctx.out, dir)} has no valid manifest`;
      if (!(await shardsIntact(dir, ds.manifest, nodeFs, REUSE_HASH_BYTES))) return `a shard of ${relative(ctx.out, dir)} changed`;
    } else if (!(await stat(path).then(() => true, () => false))) {
      return `${rel} is missing`;
    }
  }
  return null;
}

/** Directories a stage writes (what a configuration change discards). */
export function stageOutputDirs(ctx: StageContext, stage: Stage): string[] {
  switch (stage.kind) {
    case 'materialize': {
      const keeps = Array.isArray(stage.keep) ? stage.keep : [null];
      return keeps.flatMap((k) => stage.sources.map((s) => join(ctx.out, datasetDirName(stage.name, k, s))));
    }
    case 'score':
      return stage.sources.map((s) => ctx.scoreDir(stage.name, s));
    case 'train':
      return trainRuns(ctx, stage).map((r) => r.out);
    case 'report':
      return [join(ctx.out, 'reports', stage.name)];
  }
}

function stageFingerprint(ctx: StageContext, stage: Stage, upstream: Map<string, string>): string {
  const p = ctx.loaded.pipeline;
  const sources = 'sources' in stage ? Object.fromEntries(stage.sources.map((s) => [s, p.sources[s]])) : p.sources;
  return fingerprint({
    stage,
    patchify: ctx.patchify,
    seed: ctx.seed,
    sources,
    upstream: Object.fromEntries(upstream),
  });
}
