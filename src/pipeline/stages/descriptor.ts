/**
 * The contract of a pipeline stage kind: each `stages/<kind>.ts` exports one descriptor, and the
 * runner knows stages only through them (src/pipeline/stages/index.ts maps kind → descriptor).
 */
import type { Stage, StageKind } from '../types.js';
import type { StageContext } from '../context.js';

/**
 * What an output is, which decides how the runner treats it: a `dataset` (a directory with a
 * manifest) is verified before its stage is reused and its `errors.jsonl` is gathered into the
 * run's; a `directory` or a `file` must exist.
 */
export type OutputKind = 'dataset' | 'directory' | 'file';

export interface StageOutput {
  kind: OutputKind;
  /** Relative to the run directory (src/pipeline/layout.ts builds it). */
  path: string;
}

export interface StageDescriptor<S extends Stage> {
  readonly kind: S['kind'];
  /**
   * Runs as worker i of N of a job array (its datasets in worker parts, merged by `dlth merge`);
   * a stage that is not runs after the merge, and its outputs are discarded when its configuration
   * changes (a partitioned stage's datasets are replaced by the engine, never removed first).
   */
  readonly partitioned: boolean;
  /** Everything it writes for `stage` in this context (a worker writes no previews), in the order its completion marker lists them. */
  outputs(ctx: StageContext, stage: S): StageOutput[];
  /** The stages (by name) whose outputs it reads: it runs after them (`dlth run --jobs`). */
  dependsOn(stage: S): string[];
  /**
   * What else determines its outputs, besides its own object, the sources it names, the pipeline's
   * patchify and seed and the stages of `dependsOn` (JSON-able; recorded in its fingerprint,
   * src/pipeline/fingerprint.ts): e.g. another stage's setting it reads without reading its outputs.
   */
  reads?(ctx: StageContext, stage: S): Record<string, unknown>;
  /** A directory that holds all of its outputs and only them, removed whole with them (a report's). */
  home?(ctx: StageContext, stage: S): string;
  /** Writes its outputs; returns small JSON-able facts for its completion marker (counts, accuracies). */
  run(ctx: StageContext, stage: S): Promise<Record<string, unknown>>;
}

export type StageOf<K extends StageKind> = Extract<Stage, { kind: K }>;

/** Stage kind → descriptor: a kind of the pipeline schema without one is a compile error. */
export type StageDescriptors = { readonly [K in StageKind]: StageDescriptor<StageOf<K>> };

/** The descriptors a runner looks stages up in: the built-in ones, or (a library caller, a test) others. */
export type StageRegistry = Readonly<Record<string, StageDescriptor<Stage>>>;
