import * as tf from '@tensorflow/tfjs-core';
import { dense, matMul, type DenseLike } from './matmul.js';
import type { AttentionParams } from './params.js';

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

/**
 * The q, k and v projections as three dense layers cut from the fused qkv weights, with the 1/√d
 * query scaling folded into q's weights: three plain matmuls cost what the fused one does, and
 * save splitting (and scaling) the [B·N, 3D] activations.
 */
function projections(qkv: DenseLike, d: number, scale: number): [DenseLike, DenseLike, DenseLike] {
  const cut = (i: number, s: number): DenseLike => {
    const weight = tf.slice(qkv.weight, [0, i * d], [d, d]);
    const bias = qkv.bias ? tf.slice(qkv.bias, [i * d], [d]) : null;
    return s === 1 ? { weight, bias } : { weight: tf.mul(weight, s), bias: bias ? tf.mul(bias, s) : null };
  };
  return [cut(0, scale), cut(1, 1), cut(2, 1)];
}

/**
 * Multi-head self-attention (timm Attention: fused qkv, scale q, softmax, proj). x: [B, N, D].
 * Heads are laid out with one transpose each: q and v as [B·H, N, hd], k directly as [B·H, hd, N].
 */
export function attention(x: tf.Tensor3D, p: AttentionParams, o: AttentionOptions): AttentionResult {
  const [out, cls] = tf.tidy(() => {
    const [b, n, d] = x.shape;
    const h = o.heads;
    const hd = d / h;
    const [wq, wk, wv] = projections(p.qkv, d, 1 / Math.sqrt(hd));
    const heads = (w: DenseLike, perm: number[], shape: number[]) =>
      tf.reshape(tf.transpose(tf.reshape(dense(x, w), [b, n, h, hd]), perm), shape);
    const q = heads(wq, [0, 2, 1, 3], [b * h, n, hd]);
    const kt = heads(wk, [0, 2, 3, 1], [b * h, hd, n]);
    const v = heads(wv, [0, 2, 1, 3], [b * h, n, hd]);
    const attn = tf.softmax(matMul(q, kt)); // [B·H, N, N]
    const ctx = matMul(attn, v); // [B·H, N, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [b, h, n, hd]), [0, 2, 1, 3]), [b, n, d]);
    const y = dense(merged, p.proj) as tf.Tensor3D;
    if (!o.returnClsAttention) return [y];
    const row = tf.slice(tf.reshape(attn, [b, h, n, n]), [0, 0, 0, o.prefix], [b, h, 1, n - o.prefix]);
    return [y, tf.reshape(tf.mean(row, 1), [b, n - o.prefix]) as tf.Tensor2D];
  });
  return { out: out as tf.Tensor3D, clsAttention: (cls as tf.Tensor2D | undefined) ?? null };
}
