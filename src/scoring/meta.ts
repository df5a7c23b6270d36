/** The metadata of a score dataset: the grid, the source, and the selector that scored it. */
import type { ViTConfig } from '../model/configs.js';
import type { PatchifyConfig } from '../patchify/types.js';
import { DatasetKind, FORMAT_NAME, FORMAT_VERSION, type DatasetMeta, type SelectorInfo } from '../shards/types.js';
import type { Source } from '../sources/types.js';
import { InputError } from '../util/errors.js';

export interface ScoreMetaInput {
  patchify: PatchifyConfig;
  selector: SelectorInfo;
  source: Pick<Source, 'kind' | 'fingerprint' | 'classes'>;
  split?: string;
}

export function scoreMeta(input: ScoreMetaInput): DatasetMeta {
  const cfg = input.patchify;
  const p = cfg.patchSize;
  const grid: [number, number] = [cfg.imageSize[0] / p, cfg.imageSize[1] / p];
  const classes = input.source.classes ? [...input.source.classes] : null;
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    kind: DatasetKind.Scores,
    imageSize: [cfg.imageSize[0], cfg.imageSize[1]],
    patchSize: p,
    grid,
    channels: cfg.channels,
    mean: [...cfg.mean],
    std: [...cfg.std],
    k: grid[0] * grid[1],
    keep: 1,
    policy: null,
    seed: null,
    selector: input.selector,
    source: {
      kind: input.source.kind,
      fingerprint: input.source.fingerprint,
      ...(input.split !== undefined ? { split: input.split } : {}),
      classes,
    },
    numClasses: classes?.length ?? null,
  };
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
