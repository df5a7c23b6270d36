import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fsx.js';

/**
 * Gathers the per-dataset `errors.jsonl` files (skipped images and why) of a run into one
 * `<out>/errors.jsonl`, each line tagged with its dataset. Returns the number of failures.
 */
export async function collectErrors(out: string, datasetDirs: readonly string[]): Promise<number> {
  const lines: string[] = [];
  for (const rel of datasetDirs) {
    let text: string;
    try {
      text = await readFile(join(out, rel, 'errors.jsonl'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lines.push(JSON.stringify({ dataset: rel, ...(JSON.parse(line) as Record<string, unknown>) }));
    }
  }
  await writeFileAtomic(join(out, 'errors.jsonl'), lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return lines.length;
}
