import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError, PipelineError, ioError } from '../util/errors.js';
import type { LoadedPipeline, Pipeline } from './types.js';
import type { SourceConfig } from '../sources/types.js';
import { validatePipeline } from './validate.js';

const MAX_PIPELINE_BYTES = 4 * 1024 * 1024;

/** Reads, parses and validates a pipeline file; relative source paths resolve against its directory. */
export async function loadPipeline(file: string): Promise<LoadedPipeline> {
  const abs = resolve(file);
  let text: string;
  try {
    const st = await stat(abs);
    if (!st.isFile()) throw new InputError('not a regular file', { file });
    if (st.size > MAX_PIPELINE_BYTES) throw new InputError(`pipeline file is ${st.size} bytes; the limit is ${MAX_PIPELINE_BYTES}`, { file });
    text = await readFile(abs, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw ioError(err, file, 'reading the pipeline file');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PipelineError(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`, '$', { file });
  }
  const pipeline = validatePipeline(value, file);
  const dir = dirname(abs);
  return { file: abs, dir, pipeline: resolvePaths(pipeline, dir) };
}

function resolvePaths(p: Pipeline, dir: string): Pipeline {
  const r = (path: string): string => (isAbsolute(path) ? path : resolve(dir, path));
  const sources: Record<string, SourceConfig> = {};
  for (const [name, s] of Object.entries(p.sources)) {
    if (s.kind === 'imagefolder') sources[name] = { ...s, root: r(s.root) };
    else if (s.kind === 'jsonl') sources[name] = { ...s, file: r(s.file) };
    else sources[name] = { ...s, dir: s.dir && r(s.dir), images: s.images && r(s.images), labels: s.labels && r(s.labels) };
  }
  const stages = p.stages.map((s) =>
    s.kind === 'score' && typeof s.selector !== 'string' && 'checkpoint' in s.selector ? { ...s, selector: { ...s.selector, checkpoint: r(s.selector.checkpoint) } } : s,
  );
  return { ...p, sources, stages };
}
