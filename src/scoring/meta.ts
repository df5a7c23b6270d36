/** The metadata of a score dataset: the grid, the source, and the selector that scored it. */
import type { ViTConfig } from '../model/configs.js';
import type { PatchifyConfig } from '../patchify/types.js';
import { DatasetKind, type DatasetMeta, type SelectorInfo, type ViewsMeta } from '../shards/types.js';
import { metaBase } from '../engine/meta.js';
import type { Source } from '../sources/types.js';
import { resolvePatchifyConfig } from '../patchify/config.js';
import { InputError } from '../util/errors.js';
import { patchifyOverridden, sharpKernel, type PreprocessingOverrides } from '../preprocessing/resolve.js';
import { inspectSelector, type SelectorSpec } from './selector.js';

export interface ScoreMetaInput {
  patchify: PatchifyConfig;
  selector: SelectorInfo;
  source: Pick<Source, 'kind' | 'fingerprint' | 'classes'>;
  split?: string;
  /** K views of each image (resolveViews); undefined: none. */
  views?: ViewsMeta;
}

export function scoreMeta(input: ScoreMetaInput): DatasetMeta {
  const base = metaBase(input.patchify, input.selector.preprocessing?.from ?? 'default', input.source, input.split);
  const rate = input.selector.params.rate;
  const rates = Array.isArray(rate) ? { rates: [...rate] } : {};
  return { ...base, kind: DatasetKind.Scores, k: base.grid[0] * base.grid[1], keep: 1, policy: null, seed: null, selector: input.selector, contentHash: 'sha256', ...rates, ...(input.views ? { views: input.views } : {}) };
}

/**
 * The PatchifyConfig that reproduces a score dataset's pixels: its geometry, recorded
 * preprocessing and mean/std over `requested` (background, limits), then explicit overrides.
 */
export function patchifyFromScores(meta: DatasetMeta, requested: PatchifyConfig, overrides: PreprocessingOverrides = {}): PatchifyConfig {
  const pre = meta.selector?.preprocessing;
  if (!pre) return patchifyOverridden(requested, overrides);
  const { from: _from, ...geometry } = pre;
  const base = resolvePatchifyConfig({
    ...requested, ...geometry, interpolation: sharpKernel(pre.interpolation), imageSize: meta.imageSize, patchSize: meta.patchSize,
    channels: meta.channels === 1 ? 1 : 3, mean: meta.mean, std: meta.std,
  });
  return patchifyOverridden(base, overrides);
}

/** The selector must see images exactly as patchify makes them: same size, patch size, channels. */
export function checkGeometry(model: ViTConfig, cfg: PatchifyConfig, modelName: string): void {
  const same = model.imageSize[0] === cfg.imageSize[0] && model.imageSize[1] === cfg.imageSize[1]
    && model.patchSize === cfg.patchSize && model.channels === cfg.channels;
  if (!same) {
    throw new InputError(
      `selector ${modelName} takes ${model.imageSize.join('×')} images, patch ${model.patchSize}, ${model.channels} channel(s); `
        + `patchify makes ${cfg.imageSize.join('×')}, patch ${cfg.patchSize}, ${cfg.channels} channel(s)`,
    );
  }
}

/**
 * Validation before any work: the selector `spec` names (configs and safetensors headers only, no
 * weights) must take the images `patchify` makes. Throws InputError naming `where` (a pipeline
 * file and stage) on a contradiction.
 */
export async function checkSelectorGeometry(spec: SelectorSpec & { checkpoint: string }, patchify: PatchifyConfig, where: string): Promise<void> {
  const d = await inspectSelector(spec);
  try {
    checkGeometry(d.config, patchify, d.name);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${where}: ${err.message}`, { file: spec.checkpoint, cause: err });
    throw err;
  }
}
