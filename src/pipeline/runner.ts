import { rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { LoadedPipeline, Stage } from './types.js';
import { createContext, type StageContext, type WorkerSlot } from './context.js';
import { stageDescriptors, type StageDescriptor, type StageOutput, type StageRegistry } from './stages/index.js';
import { nodeFs, removeStaleTemps } from '../util/fsx.js';
import { acquireLock } from '../engine/lock.js';
import { shardsIntact } from '../engine/output.js';
import { openDataset } from '../shards/reader.js';
import { stageDependencies, runScheduled, type StageCommand } from './scheduler.js';
import { lockDir, stageLockDir, openState, readMarker, readStarted, writeMarker, writeStarted, type StageMarker, type StageRecord } from './state.js';
import { describeChange, recordedKey, sameKey, stageKey, type StageKey } from './fingerprint.js';
import { throwIfStopped } from '../util/abort.js';
import { InputError, show, TooManyFailuresError } from '../util/errors.js';
import { workerDatasetDir } from '../engine/part.js';
import { collectErrors } from './errors-summary.js';
import { usePipelineVocabulary } from './hints.js';

export interface RunOptions {
  out: string;
  worker?: WorkerSlot | null;
  quiet?: boolean;
  concurrency?: number;
  maxFailures?: number;
  /** Run only these stages (and trust earlier stages' outputs). */
  only?: string[];
  /** Stage kind → descriptor (default: the built-in kinds, src/pipeline/stages/index.ts). */
  registry?: StageRegistry;
  /** Run each stage in its own process, up to `count` at once, after its dependencies (`dlth run --jobs`); `command` starts one. */
  processes?: { count: number; command(stage: string): StageCommand };
  /** This process runs the one stage of `only` for a parent `dlth run --jobs`, which holds the run's lock and gathers errors. */
  underParent?: boolean;
  log?(message: string): void;
}

/**
 * Runs a pipeline's stages in order. A stage whose completion record matches its fingerprint
 * (what determines its outputs, with the fingerprints of the stages it reads: src/pipeline/fingerprint.ts)
 * is reused; others run, resuming their own partial work.
 */
export async function runPipeline(loaded: LoadedPipeline, options: RunOptions): Promise<StageRecord[]> {
  usePipelineVocabulary();
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const worker = options.worker ?? null;
  const ctx = createContext(loaded, { ...options, worker, quiet: options.quiet ?? false, log });
  // One process per run directory (or per worker slot of a job array): a second one is refused.
  // A stage process of `--jobs` runs under its parent's lock and holds its stage's.
  const child = options.underParent === true && options.only?.length === 1 ? options.only[0] : null;
  const lock = await acquireLock(child === null ? lockDir(options.out, worker) : stageLockDir(options.out, child));
  try {
    if (options.processes && options.processes.count > 1 && child === null) return await runInProcesses(ctx, loaded, options, options.processes);
    return await runStages(ctx, loaded, options, log);
  } finally {
    await lock.release();
  }
}

async function runStages(ctx: StageContext, loaded: LoadedPipeline, options: RunOptions, log: (m: string) => void): Promise<StageRecord[]> {
  const worker = ctx.worker;
  await openRun(ctx, options);
  const records: StageRecord[] = [];
  /** Dataset directories (relative to the run) of the stages run or reused so far: their errors.jsonl are gathered. */
  const datasets: string[] = [];
  const fps = new Map<string, string>();
  const legacyFps = new Map<string, string>();
  for (const stage of loaded.pipeline.stages) {
    throwIfStopped();
    const d = descriptorOf(options.registry ?? stageDescriptors, stage, loaded.file);
    const key = stageKey(ctx, d, stage, fps, legacyFps);
    if (worker && !d.partitioned) {
      log(`[${stage.name}] ${stage.kind}: not run by worker ${worker.index}/${worker.count}; run it after \`dlth merge\``);
      continue;
    }
    if (options.only && !options.only.includes(stage.name)) continue;
    const outputs = d.outputs(ctx, stage);
    const previous = await reusable(ctx, stage, key, outputs);
    if (previous) {
      records.push({ ...previous.marker, status: 'reused' });
      datasets.push(...datasetPaths(previous.outputs));
      continue;
    }
    await discardIfConfigChanged(ctx, d, stage, outputs, key, log);
    log(`[${stage.name}] ${stage.kind}: running`);
    const started = performance.now();
    let summary: Record<string, unknown>;
    try {
      summary = await d.run(ctx, stage);
    } catch (err) {
      // Skipped images are recorded even when they fail the run (TooManyFailures): gather the
      // errors.jsonl of the stages done so far and of this one into <out>/errors.jsonl.
      if (err instanceof TooManyFailuresError) await collectErrors(options.out, [...datasets, ...datasetPaths(outputs)]);
      throw err;
    }
    const { inputs, ...fp } = recordedKey(key);
    const record: StageRecord = { name: stage.name, kind: stage.kind, ...fp, status: 'ran', outputs: outputs.map((o) => o.path), summary, inputs };
    await writeMarker(options.out, record, worker);
    log(`[${stage.name}] ${stage.kind}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    records.push(record);
    datasets.push(...datasetPaths(outputs));
  }
  if (!options.underParent) await gatherErrors(ctx, datasets);
  return records;
}

async function openRun(ctx: StageContext, options: RunOptions): Promise<void> {
  if (options.underParent) return;
  await openState(options.out, ctx.worker);
  // Temporary files of atomic writes interrupted by a kill (`.<name>.tmp-<pid>`) are never reused.
  // Workers of a job array share these directories across hosts, where pids say nothing: a worker
  // sweeps only its own dataset parts (the shard writer does that).
  if (!ctx.worker) await removeStaleTemps(options.out);
}

async function gatherErrors(ctx: StageContext, datasets: readonly string[]): Promise<void> {
  const failures = await collectErrors(ctx.out, datasets);
  if (failures > 0) ctx.log(`${failures} image(s) were skipped: see ${join(ctx.out, 'errors.jsonl')}`);
}

/**
 * `--jobs N`: each stage (of `only`, when given) in its own process, up to N at once, after the
 * stages it reads; the records from the stages' completion markers, in pipeline order.
 */
async function runInProcesses(ctx: StageContext, loaded: LoadedPipeline, options: RunOptions, processes: NonNullable<RunOptions['processes']>): Promise<StageRecord[]> {
  await openRun(ctx, options);
  const registry = options.registry ?? stageDescriptors;
  const stages = loaded.pipeline.stages.filter((s) => !options.only || options.only.includes(s.name));
  const all = stageDependencies(loaded.pipeline.stages, registry, loaded.file);
  const deps = new Map(stages.map((s) => [s.name, (all.get(s.name) ?? []).filter((n) => stages.some((t) => t.name === n))]));
  const exits = await runScheduled({ deps, jobs: processes.count, command: processes.command, log: ctx.log });
  const records: StageRecord[] = [];
  for (const stage of stages) {
    const marker = await readMarker(ctx.out, stage.name, null);
    if (!marker) throw new InputError(`stage ${show(stage.name)} finished without its completion marker`, { file: loaded.file });
    records.push({ ...marker, status: exits.find((e) => e.stage === stage.name)?.status === 'reused' ? 'reused' : 'ran' });
  }
  await gatherErrors(ctx, stages.flatMap((s) => datasetPaths(descriptorOf(registry, s, loaded.file).outputs(ctx, s))));
  return records;
}

/**
 * The stage's completion marker and its outputs when it can be reused (same fingerprint, outputs
 * intact), else null. A marker of fingerprint schema 1 that matches is rewritten with this key.
 */
async function reusable(ctx: StageContext, stage: Stage, key: StageKey, outputs: readonly StageOutput[]): Promise<{ marker: StageMarker; outputs: StageOutput[] } | null> {
  const found = await readMarker(ctx.out, stage.name, ctx.worker);
  // Another key: discardIfConfigChanged says what changed (the start marker holds the same key).
  if (!found || !sameKey(found, key)) return null;
  const recorded = typed(found.outputs ?? [], outputs);
  const broken = await brokenOutput(ctx, recorded);
  if (broken === null) {
    const { inputs, ...fp } = recordedKey(key);
    const marker: StageMarker = { name: found.name, kind: found.kind, ...fp, outputs: found.outputs, summary: found.summary, inputs };
    if (found.fingerprint !== key.fingerprint) {
      ctx.log(`[${stage.name}] ${stage.kind}: up to date (${found.fingerprint}, recorded by an earlier dlth; now ${key.fingerprint}), reusing`);
      await writeMarker(ctx.out, { ...marker, status: 'reused' }, ctx.worker);
    } else {
      ctx.log(`[${stage.name}] ${stage.kind}: up to date (${key.fingerprint}), reusing`);
    }
    return { marker, outputs: recorded };
  }
  ctx.log(`[${stage.name}] ${stage.kind}: finished before, but ${broken}: running it again`);
  return null;
}

function descriptorOf(registry: StageRegistry, stage: Stage, file: string): StageDescriptor<Stage> {
  const d = Object.hasOwn(registry, stage.kind) ? registry[stage.kind] : undefined;
  if (!d) throw new InputError(`stage ${show(stage.name)}: unknown kind ${show(stage.kind)}`, { file });
  return d;
}

/** Outputs a completion marker lists, each with the kind the stage's descriptor gives it (a path it does not name: a file). */
function typed(recorded: readonly string[], outputs: readonly StageOutput[]): StageOutput[] {
  const kinds = new Map(outputs.map((o) => [o.path, o.kind]));
  return recorded.map((path) => ({ kind: kinds.get(path) ?? 'file', path }));
}

function datasetPaths(outputs: readonly StageOutput[]): string[] {
  return outputs.filter((o) => o.kind === 'dataset').map((o) => o.path);
}

/**
 * A stage that starts records its fingerprint (and the inputs it hashes) first. Finding a different
 * one means the last attempt ran another configuration: its partial outputs are discarded rather
 * than resumed (stages that are not partitioned; datasets are replaced by the engine, never removed
 * before the new one is done), and the log says which inputs changed.
 */
async function discardIfConfigChanged(ctx: StageContext, d: StageDescriptor<Stage>, stage: Stage, outputs: readonly StageOutput[], key: StageKey, log: (m: string) => void): Promise<void> {
  const started = await readStarted(ctx.out, stage.name, ctx.worker);
  const changed = started !== null && !sameKey(started, key);
  // Partitioned stages' datasets are never removed here: the engine replaces a finished one by
  // building the new one beside it and swapping it in when complete, and never resumes another
  // configuration's shards.
  if (changed && !d.partitioned) {
    const home = d.home?.(ctx, stage);
    for (const path of [...(home === undefined ? [] : [home]), ...outputs.map((o) => o.path)]) await rm(join(ctx.out, path), { recursive: true, force: true });
    log(`[${stage.name}] configuration changed since the last attempt: discarded its previous outputs; changed: ${describeChange(started, key)}`);
  } else if (changed) {
    log(`[${stage.name}] configuration changed since the last attempt; changed: ${describeChange(started, key)}`);
  }
  if (started?.fingerprint !== key.fingerprint) await writeStarted(ctx.out, stage.name, recordedKey(key), ctx.worker);
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
async function brokenOutput(ctx: StageContext, recorded: readonly StageOutput[]): Promise<string | null> {
  for (const { kind, path: rel } of recorded) {
    const path = join(ctx.out, rel);
    if (kind === 'dataset') {
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
