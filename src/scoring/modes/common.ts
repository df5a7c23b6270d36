/** Helpers shared by the modes: option checks and reading a small tensor back to the host. */
import type * as tf from '@tensorflow/tfjs-core';
import { InputError, show } from '../../util/errors.js';
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
