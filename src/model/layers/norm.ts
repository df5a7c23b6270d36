import * as tf from '@tensorflow/tfjs-core';
import { dlthKernels, layerNormRows, layerNormRowsGrad, nativeKernels, rowNorm, rowNormGrad } from './native.js';
import type { NormParams } from './params.js';

type LayerNormOp = (x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
type NormalizeOp = (x: tf.Tensor) => tf.Tensor;

/** Which kernels computed x̂, so its gradient uses their saved tensors. */
type Route = 'dlth' | 'fused' | 'ops';

const rowsOf = (t: tf.Tensor): tf.Tensor2D => (t.rank === 2 ? t : tf.reshape(t, [-1, t.shape[t.rank - 1] as number])) as tf.Tensor2D;

/** x̂ = (x − μ)·r, r = 1/√(σ² + ε) over the last axis (biased variance, like torch.nn.LayerNorm), and what its gradient needs. */
function standardize(x: tf.Tensor, eps: number): { xhat: tf.Tensor; saved: tf.Tensor[]; route: Route } {
  if (dlthKernels()) {
    const r = layerNormRows(rowsOf(x), eps);
    return { xhat: x.rank === 2 ? r.xhat : tf.reshape(r.xhat, x.shape), saved: [r.xhat, r.rstd], route: 'dlth' };
  }
  if (nativeKernels()) {
    const r = rowNorm(rowsOf(x), eps);
    return { xhat: x.rank === 2 ? r.xhat : tf.reshape(r.xhat, x.shape), saved: r.saved, route: 'fused' };
  }
  const axis = x.rank - 1;
  const centred = tf.sub(x, tf.mean(x, axis, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), axis, true), eps));
  const xhat = tf.mul(centred, rstd);
  return { xhat, saved: [xhat, rstd], route: 'ops' };
}

/** The gradient of x̂ with respect to x, given g = d loss / d x̂: r·(g − mean(g) − x̂·mean(g·x̂)). */
function standardizeGrad(g: tf.Tensor, saved: tf.Tensor[], eps: number, route: Route): tf.Tensor {
  if (route !== 'ops') {
    const dx = route === 'dlth' ? layerNormRowsGrad(rowsOf(g), saved[0], saved[1]) : rowNormGrad(rowsOf(g), saved, eps);
    return g.rank === 2 ? dx : tf.reshape(dx, g.shape);
  }
  const [xhat, rstd] = saved;
  const axis = g.rank - 1;
  return tf.mul(tf.sub(tf.sub(g, tf.mean(g, axis, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), axis, true))), rstd);
}

/**
 * LayerNorm as one differentiable op with its analytic gradient: autodiff of the forward's chain
 * (mean, centre, square, mean, rsqrt, scale, shift) records about twice as many kernels, each with
 * its own broadcast reductions. With x̂ = (x − μ)·r, r = 1/√(σ² + ε), g = dy·γ (means over the last axis):
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
 * On the native backend x̂ and dx are one kernel each: dlth's own when built, else FusedBatchNorm (native.ts).
 */
function makeLayerNorm(eps: number): LayerNormOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, weight, bias, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { xhat, saved, route } = standardize(x, eps);
    save([xhat, weight, ...saved]);
    return {
      value: tf.add(tf.mul(xhat, weight), bias),
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [sx, sw, ...rest] = kept;
        const d = sx.shape[sx.rank - 1] as number;
        const rows = (t: tf.Tensor) => (t.rank === 2 ? t : tf.reshape(t, [-1, d]));
        return [standardizeGrad(tf.mul(dy, sw), rest, eps, route), tf.sum(rows(tf.mul(dy, sx)), 0), tf.sum(rows(dy), 0)];
      },
    };
  }) as LayerNormOp;
}

/** LayerNorm without its affine part: x̂ alone, one op with the gradient of `standardizeGrad`. */
function makeNormalize(eps: number): NormalizeOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const { xhat, saved, route } = standardize(x, eps);
    save(saved);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => [standardizeGrad(dy, kept, eps, route)],
    };
  }) as NormalizeOp;
}

function cached<T>(ops: Map<number, T>, eps: number, make: (eps: number) => T): T {
  let op = ops.get(eps);
  if (!op) {
    op = make(eps);
    ops.set(eps, op);
  }
  return op;
}

const layerNormOps = new Map<number, LayerNormOp>();
const normalizeOps = new Map<number, NormalizeOp>();

/** LayerNorm over the last axis (biased variance, like torch.nn.LayerNorm). */
export function layerNorm(x: tf.Tensor, p: NormParams, eps: number): tf.Tensor {
  return cached(layerNormOps, eps, makeLayerNorm)(x, p.weight, p.bias);
}

/** (x − μ)/√(σ² + ε) over the last axis: LayerNorm before its scale and shift. */
export function normalize(x: tf.Tensor, eps: number): tf.Tensor {
  return cached(normalizeOps, eps, makeNormalize)(x);
}
