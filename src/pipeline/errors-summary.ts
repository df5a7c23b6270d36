import { join } from 'node:path';
import { readFailures } from '../engine/failures.js';
import { nodeFs, writeFileAtomic } from '../util/fsx.js';

/**
 * Gathers the per-dataset `errors.jsonl` files (skipped images and why) of a run into one
 * `<out>/errors.jsonl`, each record tagged with its dataset. Records are read through the engine's
 * one parser (a malformed line is an error naming the file). Returns the number of failures.
 */
export async function collectErrors(out: string, datasetDirs: readonly string[]): Promise<number> {
  const lines: string[] = [];
  for (const rel of datasetDirs) {
    for (const r of await readFailures(join(out, rel), nodeFs)) lines.push(JSON.stringify({ dataset: rel, ...r }));
  }
  await writeFileAtomic(join(out, 'errors.jsonl'), lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return lines.length;
}
