/** Patchify one image: decode (sharp) → orientation, colour → resize and centre crop → p × p patch grid. */
import type { ImagePayload, RawImage } from '../sources/types.js';
import { decodeImage } from './decode.js';
import { splitPatches, splitPatchesInPlace } from './grid.js';
import type { PatchGrid, PatchifyConfig } from './types.js';

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
