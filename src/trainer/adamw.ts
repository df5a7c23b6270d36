/**
 * AdamW with decoupled weight decay, computed exactly as PyTorch's `torch.optim.AdamW`
 * (single-tensor path): p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). Moments are non-trainable variables owned here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../util/errors.js';
import { decays } from './decay.js';

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

interface Slot {
  name: string;
  param: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  decay: boolean;
}

/** The optimizer's persistent state, as plain arrays (for the resumable training state). */
export interface AdamWState {
  step: number;
  moments: { name: string; shape: number[]; m: Float32Array; v: Float32Array }[];
}

/** A non-trainable zero variable shaped like `like` (auto-named: names are global in tfjs). */
function zerosVariable(like: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zerosLike(like), false));
}

export class AdamW {
  private readonly slots: Slot[];
  private t = 0;

  constructor(params: readonly NamedVariable[], readonly config: AdamWConfig = ADAMW_DEFAULTS, noDecay: readonly string[] = []) {
    this.slots = params.map(({ name, variable }) => ({
      name,
      param: variable,
      m: zerosVariable(variable),
      v: zerosVariable(variable),
      decay: decays(name, variable.shape, noDecay),
    }));
  }

  /** Updates taken so far. */
  get step(): number {
    return this.t;
  }

  /** Names of the parameters that get weight decay. */
  get decayed(): string[] {
    return this.slots.filter((s) => s.decay).map((s) => s.name);
  }

  /** Applies one update with `grads` (by parameter name) at learning rate `lr`. Grads are not disposed. */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.config;
    this.t += 1;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const c = {
      decay: tf.scalar(1 - lr * weightDecay),
      beta1: tf.scalar(beta1),
      oneMinusBeta1: tf.scalar(1 - beta1),
      beta2: tf.scalar(beta2),
      oneMinusBeta2: tf.scalar(1 - beta2),
      bc2Sqrt: tf.scalar(bc2Sqrt),
      eps: tf.scalar(eps),
      stepSize: tf.scalar(lr / bc1),
    };
    try {
      for (const s of this.slots) {
        const g = grads[s.name];
        if (!g) throw new InputError(`no gradient for parameter ${JSON.stringify(s.name)}`);
        tf.tidy(() => {
          const p = s.decay && weightDecay > 0 ? tf.mul(s.param, c.decay) : s.param;
          const m = tf.add(tf.mul(s.m, c.beta1), tf.mul(g, c.oneMinusBeta1));
          const v = tf.add(tf.mul(s.v, c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2));
          const denom = tf.add(tf.div(tf.sqrt(v), c.bc2Sqrt), c.eps);
          s.m.assign(m);
          s.v.assign(v);
          s.param.assign(tf.sub(p, tf.mul(tf.div(m, denom), c.stepSize)));
        });
      }
    } finally {
      tf.dispose(Object.values(c));
    }
  }

  /** A copy of the moments and step count. */
  async getState(): Promise<AdamWState> {
    const moments = [];
    for (const s of this.slots) {
      moments.push({ name: s.name, shape: [...s.param.shape], m: (await s.m.data()) as Float32Array, v: (await s.v.data()) as Float32Array });
    }
    return { step: this.t, moments };
  }

  /** Restores moments and step count saved by `getState` (names and shapes must match). */
  setState(state: AdamWState): void {
    const byName = new Map(state.moments.map((m) => [m.name, m]));
    for (const s of this.slots) {
      const saved = byName.get(s.name);
      if (!saved || saved.shape.join('x') !== s.param.shape.join('x')) {
        throw new InputError(`optimizer state has no moments of shape [${s.param.shape}] for ${JSON.stringify(s.name)}`);
      }
      tf.tidy(() => {
        s.m.assign(tf.tensor(saved.m, s.param.shape, 'float32'));
        s.v.assign(tf.tensor(saved.v, s.param.shape, 'float32'));
      });
    }
    if (byName.size !== this.slots.length) throw new InputError(`optimizer state has ${byName.size} moments, the model ${this.slots.length} parameters`);
    this.t = state.step;
  }

  dispose(): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
  }
}
