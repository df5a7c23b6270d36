/**
 * A dense layer on rows, x [T, in] · W [in, out] + b, as one differentiable op with its analytic
 * gradient (dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_rows dy): the autodiff of matmul + broadcast add records
 * reshapes and reductions of its own. Constant factors folded into a layer (the attention's
 * 1/√d on q's columns, GELU's 1/√2) are applied to the weight and bias inside the op, so they cost
 * two products on the parameters and none on the activations or the tape. `normLinear` also takes
 * the scale and shift of the LayerNorm that feeds the layer: (x̂·γ + β)·W + b = x̂·(γ⊙W) + (β·W + b),
 * so the norm's affine part costs a few ops on parameters instead of passes over the activations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMulT, type DenseLike } from './matmul.js';
import type { NormParams } from './params.js';

/** A constant factor per output column (or one for all), for the weight and, separately, the bias. */
export interface LinearScale {
  weight?: number | Float32Array;
  bias?: number | Float32Array;
}

type Scaler = (t: tf.Tensor) => tf.Tensor;

const scaler = (s: number | Float32Array | undefined): Scaler =>
  s === undefined || s === 1 ? (t) => t : typeof s === 'number' ? (t) => tf.mul(t, s) : (t) => tf.mul(t, tf.tensor1d(s));

type LinearOp = (x: tf.Tensor2D, weight: tf.Tensor, ...bias: tf.Tensor[]) => tf.Tensor2D;

function linearOp(scale: LinearScale): LinearOp {
  const [sw, sb] = [scaler(scale.weight), scaler(scale.bias)];
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, weight, bias] = args as tf.Tensor[];
    const w = sw(weight);
    save([x, w]);
    const y = tf.matMul(x, w);
    return {
      value: bias ? tf.add(y, sb(bias)) : y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, swt] = saved;
        const grads = [matMulT(dy, swt, false, true), sw(matMulT(sx, dy, true, false))];
        return bias ? [...grads, sb(tf.sum(dy, 0))] : grads;
      },
    };
  }) as LinearOp;
}

const plain = linearOp({});

/** x [T, in] → [T, out] = x·(W⊙scale.weight) + b⊙scale.bias, differentiable in x, W and b. */
export function linear(x: tf.Tensor2D, p: DenseLike, scale?: LinearScale): tf.Tensor2D {
  const op = scale ? linearOp(scale) : plain;
  return p.bias ? op(x, p.weight, p.bias) : op(x, p.weight);
}

type NormLinearOp = (x: tf.Tensor2D, weight: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, ...bias: tf.Tensor[]) => tf.Tensor2D;

/**
 * The layer with a norm's γ, β folded in: Ws = (γ⊙W)⊙s_w, bs = (β·W + b)⊙s_b, y = x̂·Ws + bs. Its
 * gradient, from G = x̂ᵀ·dy and h = Σ_rows dy: dW = γ⊙(G⊙s_w) + β⊗(h⊙s_b), dγ = Σ_out W⊙G⊙s_w,
 * dβ = Σ_out W⊙(h⊙s_b), db = h⊙s_b: small ops on parameters, none through a tiny matmul (each
 * matmul call costs about 0.1 ms on the native backend however small).
 */
function normLinearOp(scale: LinearScale): NormLinearOp {
  const [sw, sb] = [scaler(scale.weight), scaler(scale.bias)];
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, weight, gamma, beta, bias] = args as tf.Tensor[];
    const d = weight.shape[0] as number;
    const [g, b] = [tf.reshape(gamma, [d, 1]), tf.reshape(beta, [d, 1])];
    const shift = tf.sum(tf.mul(b, weight), 0);
    const w = sw(tf.mul(g, weight));
    save([x, w, weight, g, b]);
    return {
      value: tf.add(tf.matMul(x, w), sb(bias ? tf.add(shift, bias) : shift)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, swt, w0, g0, b0] = saved;
        const gw = sw(matMulT(sx, dy, true, false)); // d loss / d (γ⊙W)
        const h = sb(tf.sum(dy, 0)); // d loss / d (β·W + b)
        const dW = tf.add(tf.mul(g0, gw), tf.mul(b0, h));
        const grads = [matMulT(dy, swt, false, true), dW, tf.sum(tf.mul(w0, gw), 1), tf.sum(tf.mul(w0, h), 1)];
        return bias ? [...grads, h] : grads;
      },
    };
  }) as NormLinearOp;
}

/** `linear` of a LayerNorm's normalised rows x̂ [T, in], with the norm's γ and β folded into the layer. */
export function normLinear(x: tf.Tensor2D, norm: NormParams, p: DenseLike, scale: LinearScale = {}): tf.Tensor2D {
  const op = normLinearOp(scale);
  return p.bias ? op(x, p.weight, norm.weight, norm.bias, p.bias) : op(x, p.weight, norm.weight, norm.bias);
}

/** Dense layer over the last axis: x [..., in] → [..., out] = x·W + b (`linear` on the rows). */
export function dense(x: tf.Tensor, p: DenseLike, scale?: LinearScale): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1];
    const outDim = p.weight.shape[1] as number;
    const rows = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
    const y = linear(rows, p, scale);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
  });
}
