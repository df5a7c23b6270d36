/**
 * All parameters as one flat vector: the optimizer and the clipping act on it with a dozen
 * element-wise kernels per step instead of a dozen per parameter (the trainer's models have 50–100
 * small parameters, and on the native backend each kernel costs tens of microseconds however small).
 * A layout fixes the order (the parameters' own) and each parameter's offset in the vector.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../util/errors.js';

export interface FlatLayout {
  names: readonly string[];
  shapes: readonly (readonly number[])[];
  sizes: readonly number[];
  /** Start of each parameter in the flat vector. */
  offsets: readonly number[];
  total: number;
}

export function flatLayout(params: readonly { name: string; shape: readonly number[] }[]): FlatLayout {
  const sizes = params.map((p) => p.shape.reduce((n, d) => n * d, 1));
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((n, s) => n + s, 0));
  return {
    names: params.map((p) => p.name),
    shapes: params.map((p) => [...p.shape]),
    sizes,
    offsets,
    total: sizes.reduce((n, s) => n + s, 0),
  };
}

/** The tensors, in layout order, as one vector [total] (a new tensor; the inputs are kept). */
export function flatten(layout: FlatLayout, tensors: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => {
    if (tensors.length !== layout.names.length) throw new InputError(`flatten: ${tensors.length} tensors for ${layout.names.length} parameters`);
    const flat = tensors.map((t, i) => {
      if (t.size !== layout.sizes[i]) throw new InputError(`flatten: ${JSON.stringify(layout.names[i])} has ${t.size} values, not ${layout.sizes[i]}`);
      return t.rank === 1 ? t : tf.reshape(t, [-1]);
    });
    return (flat.length === 1 ? tf.clone(flat[0]) : tf.concat(flat)) as tf.Tensor1D;
  });
}

/** The gradients of `grads` (by parameter name) in layout order, flat; an InputError names a missing one. */
export function flattenByName(layout: FlatLayout, grads: Readonly<Record<string, tf.Tensor>>): tf.Tensor1D {
  return flatten(layout, layout.names.map((n) => {
    const g = grads[n];
    if (!g) throw new InputError(`no gradient for parameter ${JSON.stringify(n)}`);
    return g;
  }));
}

/** The parameters' tensors cut out of a flat vector (new tensors, shaped as the layout says). */
export function unflatten(layout: FlatLayout, flat: tf.Tensor1D): tf.Tensor[] {
  return tf.tidy(() => {
    const parts = layout.sizes.length === 1 ? [tf.clone(flat)] : tf.split(flat, [...layout.sizes]);
    return parts.map((p, i) => (layout.shapes[i].length === 1 ? p : tf.reshape(p, [...layout.shapes[i]])));
  });
}

/** Host copies of each parameter's part of a flat host array. */
export function hostParts(layout: FlatLayout, flat: Float32Array): Float32Array[] {
  return layout.sizes.map((s, i) => flat.slice(layout.offsets[i], layout.offsets[i] + s));
}
