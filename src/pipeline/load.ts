import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { errnoCode, InputError, PipelineError, ioError } from '../util/errors.js';
import type { LoadedPipeline, Pipeline } from './types.js';
import type { SourceConfig } from '../sources/types.js';
import { validatePipeline } from './validate.js';
import { usePipelineVocabulary } from './hints.js';

const MAX_PIPELINE_BYTES = 4 * 1024 * 1024;

/** Reads, parses and validates a pipeline file; relative source, checkpoint and mask paths resolve against its directory. */
export async function loadPipeline(file: string): Promise<LoadedPipeline> {
  usePipelineVocabulary();
  const abs = resolve(file);
  let text: string;
  try {
    const st = await stat(abs);
    if (!st.isFile()) throw new InputError('not a regular file', { file });
    if (st.size > MAX_PIPELINE_BYTES) throw new InputError(`pipeline file is ${st.size} bytes; the limit is ${MAX_PIPELINE_BYTES}`, { file });
    text = await readFile(abs, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw new InputError('no such pipeline file', { file });
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
  const resolved = resolvePaths(pipeline, dir);
  await checkSelectors(resolved, abs);
  return { file: abs, dir, pipeline: resolved };
}

/** Every score stage's checkpoint takes the pipeline's geometry: read from its configs and headers, before any work. */
async function checkSelectors(p: Pipeline, file: string): Promise<void> {
  const stages = p.stages.filter((s) => s.kind === 'score' && typeof s.selector !== 'string' && 'checkpoint' in s.selector);
  if (stages.length === 0) return;
  const { checkSelectorGeometry } = await import('../scoring/meta.js'); // loads TensorFlow.js: only when needed
  const { resolvePatchifyConfig } = await import('../patchify/config.js');
  const size = p.patchify.imageSize;
  const patchify = resolvePatchifyConfig({ imageSize: typeof size === 'number' ? [size, size] : size, patchSize: p.patchify.patchSize, channels: p.patchify.channels });
  for (const s of stages) {
    if (s.kind !== 'score' || typeof s.selector === 'string' || !('checkpoint' in s.selector)) continue;
    await checkSelectorGeometry({ ...s.selector }, patchify, `${file}: stage ${JSON.stringify(s.name)}`);
  }
}

function resolvePaths(p: Pipeline, dir: string): Pipeline {
  const r = (path: string): string => (isAbsolute(path) ? path : resolve(dir, path));
  const sources: Record<string, SourceConfig> = {};
  for (const [name, s] of Object.entries(p.sources)) {
    if (s.kind === 'imagefolder') sources[name] = { ...s, root: r(s.root) };
    else if (s.kind === 'jsonl') sources[name] = { ...s, file: r(s.file) };
    else if (s.kind === 'hf') sources[name] = { ...s, ...(s.root !== undefined ? { root: r(s.root) } : {}), ...(s.files ? { files: s.files.map(r) } : {}) };
    else if (s.kind === 'webdataset') sources[name] = { ...s, shards: s.shards.map((x) => (/^https?:\/\//i.test(x) ? x : r(x))) };
    else sources[name] = { ...s, dir: s.dir && r(s.dir), images: s.images && r(s.images), labels: s.labels && r(s.labels) };
  }
  const stages = p.stages.map((s) => {
    if (s.kind === 'score' && typeof s.selector !== 'string' && 'checkpoint' in s.selector) return { ...s, selector: { ...s.selector, checkpoint: r(s.selector.checkpoint) } };
    if (s.kind !== 'materialize') return s;
    return {
      ...s,
      ...(s.masks ? { masks: Object.fromEntries(Object.entries(s.masks).map(([src, file]) => [src, r(file)])) } : {}),
      ...(s.priorMasks !== undefined ? { priorMasks: r(s.priorMasks) } : {}),
    };
  });
  return { ...p, sources, stages };
}
