/**
 * The object masks a policy reads (PolicySpec.masks), loaded once per materialize and checked
 * against the source and the patch grid before any image is decoded: `masks` holds each image's
 * own (mask i is the source's image i, so for the `idx` source the sample `<split>/<i>`; its count
 * is the source's, or the file's when the source reads a prefix of it with `limit`); `priorMasks`
 * is any set of masks of the same size, pooled into a per-position object frequency. Masks are in
 * the frame of the decoded image: their size must be the patch grid's image size.
 */
import type { PatchifyConfig } from '../patchify/types.js';
import type { PolicyParams } from '../shards/types.js';
import { IdxSource } from '../sources/idx.js';
import type { Source } from '../sources/types.js';
import { InputError } from '../util/errors.js';
import { maskAt, maskRecord, readMasks, type MaskSet } from '../masks/read.js';
import { OBJECT_AT, patchCover, positionFrequency } from '../masks/cover.js';
import { getPolicy, policyNames, type PolicySpec } from './policies/index.js';

export interface MaskOptions {
  /** IDX file of the source's images' object masks, [N, H, W] (policies that read each image's mask: oracle). */
  masks?: string;
  /** IDX file of object masks pooled into a positional prior (policy prior; absent: the grid's centre). */
  priorMasks?: string;
}

export interface MaskInputs {
  /** The cover of source image `index`'s mask on the grid. */
  cover?: (index: number) => Float32Array;
  prior?: Float64Array;
  /** What the dataset's metadata records (`policyParams`). */
  params?: PolicyParams;
}

const takers = (kind: PolicySpec['masks']): string => policyNames().filter((n) => getPolicy(n).masks === kind).join(', ');

export async function loadMaskInputs(policy: string, spec: PolicySpec, o: MaskOptions, source: Source, cfg: PatchifyConfig): Promise<MaskInputs> {
  if (o.masks !== undefined && spec.masks !== 'sample') throw new InputError(`masks: only policy ${takers('sample')} reads each image's mask, not ${policy}`);
  if (o.priorMasks !== undefined && spec.masks !== 'prior') throw new InputError(`priorMasks: only policy ${takers('prior')} takes it, not ${policy}`);
  if (spec.masks === 'sample') {
    if (o.masks === undefined) throw new InputError(`policy ${policy} needs masks: the object masks of the source's images (an IDX file, e.g. t10k-masks-idx3-ubyte.gz)`);
    const set = await openMasks(o.masks, cfg, source);
    checkCount(set, source);
    const at = source instanceof IdxSource ? (i: number) => source.fileIndex(i) : (i: number) => i;
    return { cover: (i) => patchCover(maskAt(set, at(i)), set.height, set.width, cfg.patchSize), params: { masks: maskRecord(set), objectAt: OBJECT_AT } };
  }
  if (spec.masks === 'prior') {
    if (o.priorMasks === undefined) return { params: { prior: 'centre' } };
    const set = await openMasks(o.priorMasks, cfg, null);
    return { prior: positionFrequency(set, cfg.patchSize), params: { prior: 'masks', masks: maskRecord(set), objectAt: OBJECT_AT } };
  }
  return {};
}

async function openMasks(file: string, cfg: PatchifyConfig, source: Source | null): Promise<MaskSet> {
  const set = await readMasks(file);
  const [h, w] = cfg.imageSize;
  if (set.count === 0) throw new InputError('holds no mask', { file });
  if (set.height !== h || set.width !== w) throw new InputError(`masks are ${set.height}×${set.width}, the patches are cut from ${h}×${w} images`, { file });
  const first = source && source.size > 0 ? await source.load(0) : null;
  if (first?.kind === 'raw' && (first.image.height !== h || first.image.width !== w)) {
    throw new InputError(`masks are ${set.height}×${set.width}, the source's images ${first.image.height}×${first.image.width} (resized: masks need the images at their own size)`, { file });
  }
  return set;
}

function checkCount(set: MaskSet, source: Source): void {
  // An idx source's masks are indexed by file index: the whole file's, or (from offset 0) its prefix's.
  const fits = source instanceof IdxSource ? set.count === source.total || (source.offset === 0 && set.count === source.size) : set.count === source.size;
  if (!fits && source instanceof IdxSource && source.offset > 0) {
    throw new InputError(`holds ${set.count} masks, the source images ${source.offset}–${source.offset + source.size - 1} of a ${source.total}-image file: give the file's ${source.total} masks (mask i is image i of the file)`, { file: set.file });
  }
  if (!fits) {
    throw new InputError(`holds ${set.count} masks, the source ${source.size} images: give the masks of this source's images (mask i is image i)`, { file: set.file });
  }
}
