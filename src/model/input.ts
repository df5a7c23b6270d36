import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from '../util/errors.js';

export interface ModelInput {
  /** [B, k, P] int32 pixel values 0–255. */
  patches: tf.Tensor3D;
  /** [B, k] int32 raster positions, or undefined for the full grid. */
  positions: tf.Tensor2D | undefined;
}

/**
 * Host batch (shard layout) → model input tensors, validating positions on the host (the model's
 * one-hot gather would silently zero out-of-range positions). The caller disposes the tensors.
 */
export function toModelInput(
  patches: Uint8Array,
  positions: Uint16Array | Int32Array | null,
  shape: { batch: number; k: number; patchDim: number; numPatches: number },
): ModelInput {
  const { batch, k, patchDim, numPatches } = shape;
  if (patches.length !== batch * k * patchDim) throw new ModelError(`patches: ${patches.length} bytes, expected ${batch}×${k}×${patchDim}`);
  if (!positions && k !== numPatches) throw new ModelError(`without positions k must be the full grid (${numPatches}), got ${k}`);
  let pos: tf.Tensor2D | undefined;
  if (positions) {
    if (positions.length !== batch * k) throw new ModelError(`positions: ${positions.length} values, expected ${batch}×${k}`);
    for (let i = 0; i < positions.length; i++) {
      if (positions[i] >= numPatches || positions[i] < 0) throw new ModelError(`positions[${i}] = ${positions[i]} is outside the ${numPatches}-patch grid`);
    }
    pos = tf.tensor2d(Int32Array.from(positions), [batch, k], 'int32');
  }
  return { patches: tf.tensor3d(Int32Array.from(patches), [batch, k, patchDim], 'int32'), positions: pos };
}
