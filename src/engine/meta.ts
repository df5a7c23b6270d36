/** The metadata fields every dataset kind shares (score and ticket datasets build on them). */
import type { PatchifyConfig } from '../patchify/types.js';
import { FORMAT_NAME, FORMAT_VERSION, type AppliedPreprocessing, type DatasetMeta } from '../shards/types.js';
import type { Source } from '../sources/types.js';

/** The fields every dataset kind shares. */
export type MetaBase = Pick<DatasetMeta, 'format' | 'version' | 'imageSize' | 'patchSize' | 'grid' | 'channels' | 'mean' | 'std' | 'source' | 'numClasses' | 'preprocessing'>;

/** What a dataset records of the preprocessing a run applied (mean/std are the meta's own fields). */
export function appliedPreprocessing(cfg: PatchifyConfig, from: AppliedPreprocessing['from']): AppliedPreprocessing {
  return {
    from,
    resize: cfg.resize,
    ...(cfg.resizeTo ? { resizeTo: cfg.resizeTo } : {}),
    ...(cfg.shortestEdge !== undefined ? { shortestEdge: cfg.shortestEdge } : {}),
    cropPct: cfg.cropPct,
    ...(cfg.cropRounding ? { cropRounding: cfg.cropRounding } : {}),
    ...(cfg.pilParity ? { pilParity: true } : {}),
    interpolation: cfg.interpolation ?? 'cubic',
  };
}

/**
 * The fields every dataset kind shares: format, geometry and the whole preprocessing from patchify
 * (`from`: where that preprocessing was read), source and classes.
 */
export function metaBase(cfg: PatchifyConfig, from: AppliedPreprocessing['from'], source: Pick<Source, 'kind' | 'fingerprint' | 'classes'>, split?: string): MetaBase {
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
    preprocessing: appliedPreprocessing(cfg, from),
  };
}

