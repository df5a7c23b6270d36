/**
 * Patchify: decode (sharp) → orientation, colour → resize and centre crop → p × p patch grid.
 * Public API of the stage; everything else in this folder is an implementation detail.
 */
import type { ImagePayload, RawImage } from '../sources/types.js';
import { decodeImage } from './decode.js';
import { splitPatches, splitPatchesInPlace } from './grid.js';
import type { PatchGrid, PatchifyConfig } from './types.js';

export { configureDecoder, decodeImage, type DecodeConfig } from './decode.js';
export { splitPatches, splitPatchesInPlace, unpatchify, patchBytes, type PatchLayout } from './grid.js';
export { planTransform, centreCrop, resizedSize, roundHalfEven, cropRaw, type Region, type TransformPlan } from './transform.js';
export {
  resolvePatchifyConfig,
  PATCHIFY_DEFAULTS,
  IMAGENET_MEAN,
  IMAGENET_STD,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  type PatchifyConfigInput,
} from './config.js';
export { mapOrdered, mapConcurrent, range, type MapResult, type MapOptions } from './pool.js';
export { ResizeMode, Interpolation, type PatchifyConfig, type PatchGrid } from './types.js';

export interface PatchifyOptions {
  /** Output buffer of H·W·C bytes to fill (reuse it across images); default: a new buffer. */
  out?: Uint8Array;
}

/**
 * Decodes and transforms `payload` per `config`, then splits it into its patch grid. Without `out`,
 * the patches reuse the decoder's fresh output buffer (split in place); pixels still shared with
 * the payload (a raw image needing no transform) are never modified: they go to a new buffer.
 */
export async function patchify(payload: ImagePayload, config: PatchifyConfig, options: PatchifyOptions = {}): Promise<PatchGrid> {
  const image: RawImage = await decodeImage(payload, config);
  if (options.out) return splitPatches(image, config.patchSize, options.out);
  const shared = payload.kind === 'raw' && image.data.buffer === payload.image.data.buffer;
  return shared ? splitPatches(image, config.patchSize) : splitPatchesInPlace(image, config.patchSize);
}
