import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { LoadedPipeline, Stage } from './types.js';
import { createContext, type StageContext, type WorkerSlot } from './context.js';
import { stageRunners } from './stages/index.js';
import { fingerprint } from '../util/hash.js';
import { removeStaleTemps, writeFileAtomic } from '../util/fsx.js';
import { throwIfStopped } from '../util/abort.js';
import { TooManyFailuresError } from '../util/errors.js';
import { datasetDirName } from './refs.js';
import { workerDatasetDir } from './partition.js';
import { collectErrors } from './errors-summary.js';
import { trainRuns } from './stages/train.js';

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

export interface StageResult {
  /** Output paths relative to the run directory. */
  outputs: string[];
  /** Small JSON-able facts for run.json (counts, accuracies). */
  summary?: Record<string, unknown>;
}

export interface StageRecord extends StageResult {
  name: string;
  kind: Stage['kind'];
  fingerprint: string;
  status: 'ran' | 'reused';
}

/** Stages that can run as worker i of N (offline stages); the others run after `dlth merge`. */
export const PARTITIONED_KINDS: ReadonlySet<Stage['kind']> = new Set(['score', 'materialize']);

/**
 * Runs a pipeline's stages in order. A stage whose completion record matches its fingerprint
 * (config + upstream fingerprints) is reused; others run, resuming their own partial work.
 */
export async function runPipeline(loaded: LoadedPipeline, options: RunOptions): Promise<StageRecord[]> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const worker = options.worker ?? null;
  const ctx = createContext(loaded, { ...options, worker, quiet: options.quiet ?? false, log });
  const stateDir = join(options.out, '.dlth', 'stages');
  await mkdir(stateDir, { recursive: true });
  // Temporary files of atomic writes interrupted by a kill (`.<name>.tmp-<pid>`) are never reused.
  // Workers of a job array share these directories across hosts, where pids say nothing: a worker
  // sweeps only its own dataset parts (the shard writer does that).
  if (!worker) {
    await removeStaleTemps(stateDir);
    await removeStaleTemps(options.out);
  }
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
    const marker = join(stateDir, worker ? `${stage.name}.worker-${worker.index}-of-${worker.count}.json` : `${stage.name}.json`);
    const previous = await readMarker(marker);
    if (previous && previous.fingerprint === fp) {
      log(`[${stage.name}] ${stage.kind}: up to date (${fp}), reusing`);
      records.push({ ...previous, status: 'reused' });
      continue;
    }
    const startedFile = join(stateDir, worker ? `${stage.name}.worker-${worker.index}-of-${worker.count}.started.json` : `${stage.name}.started.json`);
    await discardIfConfigChanged(ctx, stage, startedFile, fp, log);
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
    await writeFileAtomic(marker, `${JSON.stringify({ ...record, status: undefined }, null, 2)}\n`);
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
 * attempt ran another configuration: its partial outputs are discarded rather than resumed.
 */
async function discardIfConfigChanged(ctx: StageContext, stage: Stage, startedFile: string, fp: string, log: (m: string) => void): Promise<void> {
  const started = await readMarker(startedFile);
  if (started && started.fingerprint !== fp) {
    // A worker discards only its own part of each dataset; the other workers' parts are theirs.
    for (const dir of stageOutputDirs(ctx, stage)) await rm(workerDatasetDir(dir, ctx.worker), { recursive: true, force: true });
    log(`[${stage.name}] configuration changed since the last attempt: discarded its previous outputs`);
  }
  if (!started || started.fingerprint !== fp) {
    await writeFileAtomic(startedFile, `${JSON.stringify({ name: stage.name, fingerprint: fp })}\n`);
  }
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

async function readMarker(path: string): Promise<StageRecord | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as StageRecord;
    return typeof v.fingerprint === 'string' ? v : null;
  } catch {
    return null;
  }
}
