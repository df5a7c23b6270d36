import * as tf from '@tensorflow/tfjs-core';
import type { NormParams } from './params.js';

type LayerNormOp = (x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

/**
 * LayerNorm as one differentiable op with its analytic gradient: autodiff of the forward's chain
 * (mean, centre, square, mean, rsqrt, scale, shift) records about twice as many kernels, each with
 * its own broadcast reductions. With x̂ = (x − μ)·r, r = 1/√(σ² + ε), g = dy·γ (means over the last axis):
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
 */
function makeLayerNorm(eps: number): LayerNormOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, weight, bias, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const axis = x.rank - 1;
    const centred = tf.sub(x, tf.mean(x, axis, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), axis, true), eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, weight]);
    return {
      value: tf.add(tf.mul(xhat, weight), bias),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sr, sw] = saved;
        const d = sx.shape[axis] as number;
        const g = tf.mul(dy, sw);
        const inner = tf.sub(tf.sub(g, tf.mean(g, axis, true)), tf.mul(sx, tf.mean(tf.mul(g, sx), axis, true)));
        const rows = (t: tf.Tensor) => (t.rank === 2 ? t : tf.reshape(t, [-1, d]));
        return [tf.mul(inner, sr), tf.sum(rows(tf.mul(dy, sx)), 0), tf.sum(rows(dy), 0)];
      },
    };
  }) as LayerNormOp;
}

const ops = new Map<number, LayerNormOp>();

/** LayerNorm over the last axis (biased variance, like torch.nn.LayerNorm). */
export function layerNorm(x: tf.Tensor, p: NormParams, eps: number): tf.Tensor {
  let op = ops.get(eps);
  if (!op) {
    op = makeLayerNorm(eps);
    ops.set(eps, op);
  }
  return op(x, p.weight, p.bias);
}
