/**
 * AdamW with decoupled weight decay, computed exactly as PyTorch's `torch.optim.AdamW`
 * (single-tensor path): p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε), element-wise the same kernels as PyTorch's,
 * over all parameters as one vector. Moments are non-trainable variables owned here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../util/errors.js';
import { decays } from './decay.js';
import { flatLayout, flatten, flattenByName, hostParts, unflatten, type FlatLayout } from './flat.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 };

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/** The optimizer's persistent state, as plain arrays (for the resumable training state). */
export interface AdamWState {
  step: number;
  moments: { name: string; shape: number[]; m: Float32Array; v: Float32Array }[];
}

/** A non-trainable zero vector variable (auto-named: names are global in tfjs). */
function zerosVariable(size: number): tf.Variable<tf.Rank.R1> {
  return tf.tidy(() => tf.variable(tf.zeros([size]), false) as tf.Variable<tf.Rank.R1>);
}

/**
 * The update runs on all parameters at once (flat.ts): the moments are two flat variables, the
 * parameters are read through a flat copy that this optimizer wrote itself (rebuilt whenever a
 * parameter was assigned by someone else, e.g. a resumed state), and written back cut to shape.
 */
export class AdamW {
  readonly layout: FlatLayout;
  private readonly params: readonly tf.Variable[];
  private readonly decay: boolean[];
  private readonly m: tf.Variable<tf.Rank.R1>;
  private readonly v: tf.Variable<tf.Rank.R1>;
  /** Which elements get weight decay (null: none). */
  private readonly decayMask: tf.Tensor1D | null;
  /** The parameters as one vector, and the data each parameter held when it was written. */
  private flatParams: tf.Tensor1D | null = null;
  private written: readonly tf.DataId[] = [];
  private t = 0;

  constructor(params: readonly NamedVariable[], readonly config: AdamWConfig = ADAMW_DEFAULTS, noDecay: readonly string[] = []) {
    this.layout = flatLayout(params.map((p) => ({ name: p.name, shape: p.variable.shape })));
    this.params = params.map((p) => p.variable);
    this.decay = params.map(({ name, variable }) => decays(name, variable.shape, noDecay));
    this.m = zerosVariable(this.layout.total);
    this.v = zerosVariable(this.layout.total);
    this.decayMask = this.decay.some((d) => d) ? decayMask(this.layout, this.decay) : null;
  }

  /** Updates taken so far. */
  get step(): number {
    return this.t;
  }

  /** Names of the parameters that get weight decay. */
  get decayed(): string[] {
    return this.layout.names.filter((_, i) => this.decay[i]);
  }

  /** Applies one update with `grads` (by parameter name) at learning rate `lr`. Grads are not disposed. */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    const flat = flattenByName(this.layout, grads);
    try {
      this.applyFlat(flat, lr);
    } finally {
      flat.dispose();
    }
  }

  /** Applies one update with the gradients of all parameters as one vector (layout order). Not disposed. */
  applyFlat(grad: tf.Tensor1D, lr: number): void {
    if (grad.size !== this.layout.total) throw new InputError(`AdamW: a flat gradient of ${grad.size} values for ${this.layout.total} parameters`);
    const { beta1, beta2, eps, weightDecay } = this.config;
    this.t += 1;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const params = this.currentFlatParams();
    const next = tf.tidy(() => {
      const s = (x: number): tf.Scalar => tf.scalar(x);
      const p = this.decayMask && weightDecay > 0 ? tf.where(this.decayMask, tf.mul(params, s(1 - lr * weightDecay)), params) : params;
      const m = tf.add(tf.mul(this.m, s(beta1)), tf.mul(grad, s(1 - beta1))) as tf.Tensor1D;
      const v = tf.add(tf.mul(this.v, s(beta2)), tf.mul(tf.square(grad), s(1 - beta2))) as tf.Tensor1D;
      const denom = tf.add(tf.div(tf.sqrt(v), s(bc2Sqrt)), s(eps));
      this.m.assign(m);
      this.v.assign(v);
      return tf.sub(p, tf.mul(tf.div(m, denom), s(lr / bc1))) as tf.Tensor1D;
    });
    this.writeParams(next);
  }

  /** The parameters as one host vector in layout order (a fresh array: what data-parallel workers compute with). */
  paramsHost(): Float32Array {
    return this.currentFlatParams().dataSync() as Float32Array;
  }

  /** The flat copy of the parameters, rebuilt when a parameter no longer holds what was written. */
  private currentFlatParams(): tf.Tensor1D {
    const stale = !this.flatParams || this.params.some((p, i) => p.dataId !== this.written[i]);
    if (stale) {
      this.flatParams?.dispose();
      this.flatParams = flatten(this.layout, this.params);
    }
    return this.flatParams as tf.Tensor1D;
  }

  /** Keeps `next` as the flat copy and assigns each parameter its part. */
  private writeParams(next: tf.Tensor1D): void {
    const parts = unflatten(this.layout, next);
    this.params.forEach((p, i) => p.assign(parts[i]));
    tf.dispose(parts);
    this.written = this.params.map((p) => p.dataId);
    this.flatParams?.dispose();
    this.flatParams = next;
  }

  /** A copy of the moments and step count. */
  async getState(): Promise<AdamWState> {
    const [m, v] = (await Promise.all([this.m.data(), this.v.data()])) as [Float32Array, Float32Array];
    const [ms, vs] = [hostParts(this.layout, m), hostParts(this.layout, v)];
    const moments = this.layout.names.map((name, i) => ({ name, shape: [...this.layout.shapes[i]], m: ms[i], v: vs[i] }));
    return { step: this.t, moments };
  }

  /** Restores moments and step count saved by `getState` (names and shapes must match). */
  setState(state: AdamWState): void {
    const byName = new Map(state.moments.map((m) => [m.name, m]));
    const m = new Float32Array(this.layout.total);
    const v = new Float32Array(this.layout.total);
    this.layout.names.forEach((name, i) => {
      const saved = byName.get(name);
      const shape = this.layout.shapes[i];
      if (!saved || saved.shape.join('x') !== shape.join('x')) {
        throw new InputError(`optimizer state has no moments of shape [${shape}] for ${JSON.stringify(name)}`);
      }
      m.set(saved.m, this.layout.offsets[i]);
      v.set(saved.v, this.layout.offsets[i]);
    });
    if (byName.size !== this.layout.names.length) throw new InputError(`optimizer state has ${byName.size} moments, the model ${this.layout.names.length} parameters`);
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(m, 'float32'));
      this.v.assign(tf.tensor1d(v, 'float32'));
    });
    this.t = state.step;
  }

  dispose(): void {
    tf.dispose([this.m, this.v, ...(this.decayMask ? [this.decayMask] : []), ...(this.flatParams ? [this.flatParams] : [])]);
    this.flatParams = null;
  }
}

/** True at the elements of the parameters that get weight decay. */
function decayMask(layout: FlatLayout, decay: readonly boolean[]): tf.Tensor1D {
  const mask = new Uint8Array(layout.total);
  decay.forEach((d, i) => (d ? mask.fill(1, layout.offsets[i], layout.offsets[i] + layout.sizes[i]) : undefined));
  return tf.tensor1d(mask, 'bool');
}
