import * as tf from '@tensorflow/tfjs-core';
import { linear, normLinear } from './linear.js';
import { matMulT, type DenseLike } from './matmul.js';
import { attentionGradKernel, attentionKernel, dlthKernels } from './native.js';
import type { AttentionParams, NormParams } from './params.js';

export interface AttentionOptions {
  heads: number;
  /** Number of prefix tokens (CLS [+ distillation]) excluded from the returned CLS attention row. */
  prefix: number;
  /** Also return the head-averaged post-softmax attention from token 0 (CLS) to the non-prefix tokens. */
  returnClsAttention: boolean;
}

export interface AttentionResult {
  /** [B, N, D], before the residual add. */
  out: tf.Tensor3D;
  /** [B, N − prefix]: mean over heads of softmax(q·kᵀ/√d)[:, h, 0, prefix:]; null when not asked. */
  clsAttention: tf.Tensor2D | null;
}

/** Samples, tokens per sample and heads of activations laid out as rows [B·N, …]. */
export interface AttentionShape {
  b: number;
  n: number;
  heads: number;
}

/** qkv rows [B·N, 3D] → q, k, v, each [B·H, N, hd] (one transpose, one split). */
function splitHeads(qkv: tf.Tensor2D, s: AttentionShape): tf.Tensor3D[] {
  const hd = qkv.shape[1] / 3 / s.heads;
  const t = tf.transpose(tf.reshape(qkv, [s.b, s.n, 3, s.heads, hd]), [2, 0, 3, 1, 4]); // [3, B, H, N, hd]
  return tf.split(tf.reshape(t, [3 * s.b * s.heads, s.n, hd]), 3, 0) as tf.Tensor3D[];
}

/** Per-head [B·H, N, hd] → rows [B·N, H·hd]. */
function mergeHeads(x: tf.Tensor3D, s: AttentionShape): tf.Tensor2D {
  const hd = x.shape[2];
  return tf.reshape(tf.transpose(tf.reshape(x, [s.b, s.heads, s.n, hd]), [0, 2, 1, 3]), [s.b * s.n, s.heads * hd]);
}

/** Rows [B·N, H·hd] → per-head [B·H, N, hd] (the inverse of mergeHeads). */
function rowsToHeads(x: tf.Tensor2D, s: AttentionShape): tf.Tensor3D {
  const hd = x.shape[1] / s.heads;
  return tf.reshape(tf.transpose(tf.reshape(x, [s.b, s.n, s.heads, hd]), [0, 2, 1, 3]), [s.b * s.heads, s.n, hd]);
}

/** softmax(q·kᵀ) per head [B·H, N, N] and the context per head [B·H, N, hd], q already scaled. */
function attend(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D): { probs: tf.Tensor3D; ctx: tf.Tensor3D } {
  const probs = tf.softmax(matMulT(q, k, false, true)) as tf.Tensor3D;
  return { probs, ctx: tf.matMul(probs, v) };
}

/** `attend` on fused qkv rows: P [B·H, N, N] and the context as rows [B·N, D]. */
function attendRows(qkv: tf.Tensor2D, s: AttentionShape): { probs: tf.Tensor3D; ctx: tf.Tensor2D } {
  const [q, k, v] = splitHeads(qkv, s);
  const { probs, ctx } = attend(q, k, v);
  return { probs, ctx: mergeHeads(ctx, s) };
}

/**
 * The gradient of C = softmax(q·kᵀ)·v (P = probs, dC the context gradient per head):
 * dV = Pᵀ·dC, dP = dC·Vᵀ, dS = P ⊙ (dP − Σ_row dP⊙P), dQ = dS·K, dK = dSᵀ·Q; returned as qkv rows.
 * Σ_row dP⊙P = Σ_row dC⊙C (as flash attention's backward): a reduction over hd, not over N.
 */
function attendGrad(dy: tf.Tensor2D, saved: tf.Tensor3D[], s: AttentionShape): tf.Tensor2D {
  const [q, k, v, probs, ctx] = saved;
  const dc = rowsToHeads(dy, s);
  const dv = matMulT(probs, dc, true, false);
  const dp = matMulT(dc, v, false, true);
  const ds = tf.mul(probs, tf.sub(dp, tf.sum(tf.mul(dc, ctx), -1, true)));
  return qkvRows(tf.matMul(ds, k), matMulT(ds, q, true, false), dv, s);
}

/** Per-head gradients of q, k, v [B·H, N, hd] → fused qkv rows [B·N, 3D] (the inverse of splitHeads). */
function qkvRows(dq: tf.Tensor, dk: tf.Tensor, dv: tf.Tensor, s: AttentionShape): tf.Tensor2D {
  const hd = dq.shape[2] as number;
  const stacked = tf.reshape(tf.concat([dq, dk, dv], 0), [3, s.b, s.heads, s.n, hd]);
  return tf.reshape(tf.transpose(stacked, [1, 3, 0, 2, 4]), [s.b * s.n, 3 * s.heads * hd]);
}

/**
 * The gradient of dlth's attention kernel used directly, outside `attentionCore` (the path that also
 * returns the CLS row: probs is an output too). The context's part is the kernel's own gradient; P's
 * part is dS = P ⊙ (dP − Σ_row dP⊙P), dQ = dS·K, dK = dSᵀ·Q (no dV), by tfjs ops. attentionCore
 * keeps its own gradient, which never pays for a P gradient of zeros.
 */
tf.registerGradient({
  kernelName: 'DlthAttention',
  inputsToSave: ['qkv'],
  outputsToSave: [true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dCtx, dProbs] = dys as tf.Tensor[];
    const [qkv, ctx, probs] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor3D];
    const [heads, tokens] = [Number(attrs?.heads), Number(attrs?.tokens)];
    const s = { b: qkv.shape[0] / tokens, n: tokens, heads };
    return {
      qkv: () => {
        const [q, k] = splitHeads(qkv, s);
        const ds = tf.mul(probs, tf.sub(dProbs, tf.sum(tf.mul(dProbs, probs), -1, true))) as tf.Tensor3D;
        const viaProbs = qkvRows(tf.matMul(ds, k), matMulT(ds, q, true, false), tf.zerosLike(q), s);
        return tf.add(attentionGradKernel(dCtx as tf.Tensor2D, qkv, probs, ctx, heads, tokens), viaProbs);
      },
    };
  },
});

/**
 * Multi-head attention of fused qkv rows [B·N, 3D] (q's 1/√hd already applied) → context rows
 * [B·N, D], as one op with the analytic gradient of `attendGrad`.
 */
export function attentionCore(qkv: tf.Tensor2D, s: AttentionShape): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    if (dlthKernels()) {
      // One kernel each way on the rows themselves: no transposes, splits or merges.
      const { ctx, probs } = attentionKernel(x, s.heads, s.n);
      save([x, probs, ctx]);
      return {
        value: ctx,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sp, sc] = saved as [tf.Tensor2D, tf.Tensor3D, tf.Tensor2D];
          return [attentionGradKernel(dy as tf.Tensor2D, sx, sp, sc, s.heads, s.n)];
        },
      };
    }
    const [q, k, v] = splitHeads(x, s);
    const { probs, ctx } = attend(q, k, v);
    save([q, k, v, probs, ctx]);
    return {
      value: mergeHeads(ctx, s),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [attendGrad(dy as tf.Tensor2D, saved as tf.Tensor3D[], s)],
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
  return op(qkv);
}

/** Per output column of the fused qkv projection: 1/√hd for q's D columns, 1 for k's and v's. */
function qScale(d: number, heads: number): Float32Array {
  return new Float32Array(3 * d).fill(1).fill(1 / Math.sqrt(d / heads), 0, d);
}

/**
 * Multi-head self-attention on rows (timm Attention: fused qkv, scale q, softmax, proj).
 * x: [B·N, D] → [B·N, D]; with `norm`, x is a LayerNorm's x̂ and the norm's γ, β are folded into
 * qkv (normLinear); with `returnClsAttention`, also the CLS row (then computed without the fused op).
 */
export function attentionRows(x: tf.Tensor2D, p: { qkv: DenseLike; proj: DenseLike }, s: AttentionShape, o: AttentionOptions, norm?: NormParams): { out: tf.Tensor2D; clsAttention: tf.Tensor2D | null } {
  const [out, cls] = tf.tidy(() => {
    const d = x.shape[1];
    const scale = { weight: qScale(d, o.heads), bias: qScale(d, o.heads) };
    const qkv = norm ? normLinear(x, norm, p.qkv, scale) : linear(x, p.qkv, scale);
    if (!o.returnClsAttention) return [linear(attentionCore(qkv, s), p.proj)];
    // With dlth's kernel, the same kernel as attentionCore (so both paths give the same bytes).
    const { probs, ctx } = dlthKernels() ? attentionKernel(qkv, s.heads, s.n) : attendRows(qkv, s);
    const row = tf.slice(tf.reshape(probs, [s.b, s.heads, s.n, s.n]), [0, 0, 0, o.prefix], [s.b, s.heads, 1, s.n - o.prefix]);
    return [linear(ctx, p.proj), tf.reshape(tf.mean(row, 1), [s.b, s.n - o.prefix]) as tf.Tensor2D];
  });
  return { out: out as tf.Tensor2D, clsAttention: (cls as tf.Tensor2D | undefined) ?? null };
}

/** Multi-head self-attention (timm Attention: fused qkv, scale q, softmax, proj). x: [B, N, D]. */
export function attention(x: tf.Tensor3D, p: AttentionParams, o: AttentionOptions): AttentionResult {
  const [b, n, d] = x.shape;
  const [out, cls] = tf.tidy(() => {
    const r = attentionRows(tf.reshape(x, [b * n, d]), p, { b, n, heads: o.heads }, o);
    const y = tf.reshape(r.out, [b, n, d]);
    return r.clsAttention ? [y, r.clsAttention] : [y];
  });
  return { out: out as tf.Tensor3D, clsAttention: (cls as tf.Tensor2D | undefined) ?? null };
}
