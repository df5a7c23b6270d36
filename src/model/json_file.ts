/**
 * Reading a small untrusted JSON file (config.json, preprocessor_config.json, a sharded index, a
 * safetensors header) with its size and nesting bounded before JSON.parse: V8 needs ~80 bytes per
 * open bracket, so a hostile file of nested brackets would otherwise cost memory far beyond its size.
 */
import { readFile, stat } from 'node:fs/promises';
import { jsonTooDeep } from '../shards/json-depth.js';
import { CheckpointError, ioError } from '../util/errors.js';

/** Largest config or index file read (real ones are a few kB; a 1000-shard index is ~100 kB). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Deepest nesting accepted: configs nest id2label or pretrained_cfg a few levels. */
export const MAX_CONFIG_DEPTH = 8;

/** Parses `text` after the depth check; `what` names the document in errors. */
export function parseBoundedJson(text: string, file: string, what: string, maxDepth = MAX_CONFIG_DEPTH): unknown {
  const at = jsonTooDeep(text, maxDepth);
  if (at >= 0) throw new CheckpointError(`${what}: JSON nested deeper than ${maxDepth} levels (at byte ${at})`, { file });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CheckpointError(`${what}: not valid JSON (${(err as Error).message})`, { file, cause: err });
  }
}

/** A JSON object from a file of at most `maxBytes`; throws CheckpointError naming the file. */
export async function readJsonObject(file: string, what: string, maxBytes = MAX_CONFIG_BYTES): Promise<Record<string, unknown>> {
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > maxBytes) throw new CheckpointError(`${what}: ${size} bytes, more than the ${maxBytes} accepted`, { file });
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw ioError(err, file, `reading ${what}`);
  }
  const doc = parseBoundedJson(text, file, what);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CheckpointError(`${what}: not a JSON object`, { file });
  return doc as Record<string, unknown>;
}
