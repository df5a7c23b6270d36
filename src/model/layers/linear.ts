/**
 * A dense layer on rows, x [T, in] · W [in, out] + b, as one differentiable op with its analytic
 * gradient (dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_rows dy): the autodiff of matmul + broadcast add records
 * reshapes and reductions of its own. Constant factors folded into a layer (the attention's
 * 1/√d on q's columns, GELU's 1/√2) are applied to the weight and bias inside the op, so they cost
 * two products on the parameters and none on the activations or the tape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMulT, type DenseLike } from './matmul.js';

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
