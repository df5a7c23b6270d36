/**
 * Stage fingerprints: whether a finished stage is reused, and whether an earlier attempt's partial
 * outputs are resumed or discarded (src/pipeline/runner.ts).
 *
 * A fingerprint is the hash of one explicit record, StageInputs, of what determines the stage's
 * outputs and nothing else. It is written beside the fingerprint in the stage's records
 * (`.dlth/stages/<stage>.json`, `….started.json`), so a stage that runs again says which of its
 * inputs changed. The record (schema FINGERPRINT_SCHEMA):
 *
 * - `stage`: the stage's own object as validated. Paths in it (and in `sources`, `reads`) are the
 *   files' real locations: data reached through a symlink, or a pipeline file read from another
 *   checkout or worktree whose relative paths lead to the same files, is the same input.
 * - `patchify`: the resolved patch geometry and preprocessing (defaults included: a changed default
 *   changes the outputs).
 * - `seed`: the pipeline's seed.
 * - `sources`: the configs of the sources the stage names (`sources`); none for a stage that reads
 *   only other stages' outputs.
 * - `upstream`: the fingerprints of the stages whose outputs it reads (its descriptor's
 *   `dependsOn`), not of every earlier stage.
 * - `reads`: anything else its descriptor says it reads (`reads`: e.g. the checkpoint a materialize
 *   stage decodes as, a report's title and preview links).
 *
 * Not in it: the pipeline's description and `$schema`, stages it does not read, the run directory,
 * the pipeline file's location. A change to the record's shape or meaning bumps
 * FINGERPRINT_SCHEMA; records of schema 1 (written before this one) are still reused when they
 * match `legacyFingerprint`.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Stage } from './types.js';
import type { StageContext } from './context.js';
import type { StageDescriptor } from './stages/descriptor.js';
import type { PatchifyConfig } from '../patchify/types.js';
import type { SourceConfig } from '../sources/types.js';
import { canonicalJson, fingerprint } from '../util/hash.js';

/** The version of StageInputs' shape and meaning. Schema 1: `legacyFingerprint`. */
export const FINGERPRINT_SCHEMA = 2;

/** Everything that determines a stage's outputs (see the module's comment). */
export interface StageInputs {
  schema: number;
  stage: Stage;
  patchify: PatchifyConfig;
  seed: number;
  sources: Record<string, SourceConfig>;
  upstream: Record<string, string>;
  reads: Record<string, unknown>;
}

/** A stage's fingerprint, the record it hashes, and its schema-1 fingerprint (to reuse records written before schema 2). */
export interface StageKey {
  fingerprint: string;
  inputs: StageInputs;
  legacy: string;
}

/** A fingerprint as a stage's records hold it: schema and inputs absent in records of schema 1. */
export interface RecordedKey {
  fingerprint: string;
  fingerprintSchema?: number;
  inputs?: unknown;
}

/**
 * The stage's key. `fingerprints` holds the schema-2 fingerprint of every earlier stage, `legacy`
 * their schema-1 fingerprints; both are given this stage's.
 */
export function stageKey(ctx: StageContext, d: StageDescriptor<Stage>, stage: Stage, fingerprints: Map<string, string>, legacy: Map<string, string>): StageKey {
  const p = ctx.loaded.pipeline;
  const named = 'sources' in stage ? stage.sources : [];
  const upstream = Object.fromEntries([...new Set(d.dependsOn(stage))].sort().map((name) => [name, fingerprints.get(name) ?? 'unknown']));
  const inputs = JSON.parse(canonicalJson(realPaths({
    schema: FINGERPRINT_SCHEMA,
    stage,
    patchify: ctx.patchify,
    seed: ctx.seed,
    sources: Object.fromEntries(named.map((s) => [s, p.sources[s]])),
    upstream,
    reads: d.reads?.(ctx, stage) ?? {},
  }))) as StageInputs;
  const key = { fingerprint: fingerprint(inputs), inputs, legacy: legacyFingerprint(ctx, stage, legacy) };
  fingerprints.set(stage.name, key.fingerprint);
  legacy.set(stage.name, key.legacy);
  return key;
}

/**
 * Schema 1, the fingerprint of records written before schema 2: the stage object, the resolved
 * patchify config, the seed, the sources it names (every source when it names none) and every
 * earlier stage's schema-1 fingerprint, with paths as resolved against the pipeline file's
 * directory (so a pipeline read from another checkout differed). Frozen: only read, to reuse those records.
 */
function legacyFingerprint(ctx: StageContext, stage: Stage, earlier: Map<string, string>): string {
  const p = ctx.loaded.pipeline;
  const sources = 'sources' in stage ? Object.fromEntries(stage.sources.map((s) => [s, p.sources[s]])) : p.sources;
  return fingerprint({ stage, patchify: ctx.patchify, seed: ctx.seed, sources, upstream: Object.fromEntries(earlier) });
}

/** Whether a stage's record was made with this key: the same fingerprint, or a schema-1 record with its schema-1 fingerprint. */
export function sameKey(recorded: RecordedKey, key: StageKey): boolean {
  return recorded.fingerprint === key.fingerprint || (recorded.fingerprintSchema === undefined && recorded.fingerprint === key.legacy);
}

/** What a stage's records hold of its key. */
export function recordedKey(key: StageKey): Required<RecordedKey> {
  return { fingerprint: key.fingerprint, fingerprintSchema: FINGERPRINT_SCHEMA, inputs: key.inputs };
}

const real = new Map<string, string>();

/** The value with every absolute path that exists replaced by its real location (symlinks resolved). */
function realPaths(value: unknown): unknown {
  if (typeof value === 'string') {
    if (!isAbsolute(value)) return value;
    let r = real.get(value);
    if (r === undefined) {
      try {
        r = realpathSync(value);
      } catch {
        return value; // not there (yet): as resolved
      }
      real.set(value, r);
    }
    return r;
  }
  if (Array.isArray(value)) return value.map(realPaths);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, realPaths(v)]));
  return value;
}

/** Leaves of a JSON value by path (`a.b[2].c`); an empty object or array is a leaf. */
function leaves(value: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  const entries = Array.isArray(value)
    ? value.map((v, i): [string, unknown] => [`${path}[${i}]`, v])
    : value !== null && typeof value === 'object'
      ? Object.entries(value).map(([k, v]): [string, unknown] => [path === '' ? k : `${path}.${k}`, v])
      : [];
  if (entries.length === 0) out.set(path, value);
  for (const [p, v] of entries) leaves(v, p, out);
  return out;
}

const MAX_VALUE = 80;

function showValue(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** The inputs that differ between two records, as `path: old → new` (in key order). */
export function changedInputs(before: unknown, after: unknown): string[] {
  const a = leaves(before, '', new Map());
  const b = leaves(after, '', new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.filter((p) => canonicalJson(a.get(p)) !== canonicalJson(b.get(p))).map((p) => `${p}: ${showValue(a.get(p))} → ${showValue(b.get(p))}`);
}

/** How many changed inputs a message names. */
const SHOWN = 4;

/** What changed between a stage's recorded key and its key now, in one line for the log. */
export function describeChange(recorded: RecordedKey, key: StageKey): string {
  if (recorded.inputs === undefined || recorded.inputs === null || typeof recorded.inputs !== 'object') {
    return `${recorded.fingerprint} → ${key.fingerprint}; the earlier record (by an older dlth) does not say what it was made from`;
  }
  const changes = changedInputs(recorded.inputs, key.inputs);
  if (changes.length === 0) return `${recorded.fingerprint} → ${key.fingerprint}`;
  const more = changes.length > SHOWN ? `; and ${changes.length - SHOWN} more` : '';
  return `${changes.slice(0, SHOWN).join('; ')}${more}`;
}
