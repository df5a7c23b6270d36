/**
 * Patchify: decode (sharp) → orientation, colour → resize and centre crop → p × p patch grid.
 * Public API of the stage; everything else in this folder is an implementation detail.
 */
export { patchify, type PatchifyOptions } from './patchify.js';

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
