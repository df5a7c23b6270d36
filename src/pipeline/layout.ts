/**
 * The layout of a run directory (`dlth run --out`): the one builder of every stage output's path,
 * relative to the run. Worker parts of a dataset (`<dataset>/workers/<i>-of-<N>`) are the engine's
 * (src/engine/part.ts); run state (`.dlth/`) is src/pipeline/state.ts's.
 */
import { join } from 'node:path/posix';
import { formatKeep } from './refs.js';

/** A stage's name, with `@<keep>` for one of its keep values. */
function keyed(stage: string, keep: number | null): string {
  return keep === null ? stage : `${stage}@${formatKeep(keep)}`;
}

/** A materialized dataset: `datasets/<stage>[@<keep>]/<source>`. */
export function datasetPath(stage: string, keep: number | null, source: string): string {
  return join('datasets', keyed(stage, keep), source);
}

/** A score dataset: `scores/<stage>/<source>`. */
export function scoresPath(stage: string, source: string): string {
  return join('scores', stage, source);
}

/** One train run (keep value, seed): `models/<stage>[@<keep>]/seed-<seed>`. */
export function modelPath(stage: string, keep: number | null, seed: number): string {
  return join('models', keyed(stage, keep), `seed-${seed}`);
}

/** The preview sheet of a materialized dataset: `previews/<stage>[@<keep>]-<source>.png`. */
export function previewPath(stage: string, keep: number | null, source: string): string {
  return join('previews', `${keyed(stage, keep)}-${source}.png`);
}

/** A report stage's directory: `reports/<stage>`. */
export function reportPath(stage: string): string {
  return join('reports', stage);
}
