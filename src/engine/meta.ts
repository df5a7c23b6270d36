/** The metadata fields every dataset kind shares (score and ticket datasets build on them). */
import type { PatchifyConfig } from '../patchify/types.js';
import { FORMAT_NAME, FORMAT_VERSION, type DatasetMeta } from '../shards/types.js';
import type { Source } from '../sources/types.js';

/** The fields every dataset kind shares: format, geometry from patchify, source and classes. */
export type MetaBase = Pick<DatasetMeta, 'format' | 'version' | 'imageSize' | 'patchSize' | 'grid' | 'channels' | 'mean' | 'std' | 'source' | 'numClasses'>;

export function metaBase(cfg: PatchifyConfig, source: Pick<Source, 'kind' | 'fingerprint' | 'classes'>, split?: string): MetaBase {
  const p = cfg.patchSize;
  const classes = source.classes ? [...source.classes] : null;
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    imageSize: [cfg.imageSize[0], cfg.imageSize[1]],
    patchSize: p,
    grid: [cfg.imageSize[0] / p, cfg.imageSize[1] / p],
    channels: cfg.channels,
    mean: [...cfg.mean],
    std: [...cfg.std],
    source: { kind: source.kind, fingerprint: source.fingerprint, ...(split !== undefined ? { split } : {}), classes },
    numClasses: classes?.length ?? null,
  };
}

