/** Helpers shared by the modes: option checks and reading a small tensor back to the host. */
import type * as tf from '@tensorflow/tfjs-core';
import type { ViT } from '../../model/vit.js';
import { InputError, ModelError, show } from '../../util/errors.js';
import type { ModeOptions } from './types.js';

/** Throws if `options` sets a field the mode does not take. */
export function onlyOptions(mode: string, options: ModeOptions, allowed: readonly (keyof ModeOptions)[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !allowed.includes(key as keyof ModeOptions)) {
      throw new InputError(`scoring mode ${show(mode)} does not take ${key} (it takes ${allowed.join(', ') || 'no options'})`);
    }
  }
}

/** Downloads a float tensor to a Float32Array and disposes it. */
export async function takeFloats(t: tf.Tensor): Promise<Float32Array> {
  try {
    const data = await t.data();
    return data instanceof Float32Array ? data : Float32Array.from(data);
  } finally {
    t.dispose();
  }
}

/** A 0-based layer index from a possibly negative one (−1 = last). */
export function layerIndex(layer: number, depth: number, what: string): number {
  const i = layer < 0 ? depth + layer : layer;
  if (!Number.isInteger(layer) || i < 0 || i >= depth) throw new InputError(`${what} ${show(layer)} is outside the model's ${depth} blocks`);
  return i;
}

/**
 * Runs blocks 0…layer−1 and block `layer`'s attention half: returns the tokens after that
 * attention (the caller disposes them) and its head-averaged CLS rows [B, N].
 */
export async function attentionAt(model: ViT, patches: tf.Tensor3D, layer: number): Promise<{ x: tf.Tensor3D; scores: Float32Array }> {
  let x = model.embed(patches);
  try {
    for (let i = 0; i < layer; i++) {
      const y = model.blocks[i].forward(x);
      x.dispose();
      x = y.x;
    }
    const a = model.blocks[layer].forwardAttention(x, { returnClsAttention: true });
    x.dispose();
    x = a.x;
    if (!a.clsAttention) throw new ModelError('the model returned no CLS attention');
    return { x, scores: await takeFloats(a.clsAttention) };
  } catch (err) {
    x.dispose();
    throw err;
  }
}
