import * as tf from '@tensorflow/tfjs-core';
import { dense, matMul } from './matmul.js';
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

function splitHeads(t: tf.Tensor, b: number, n: number, heads: number, hd: number): tf.Tensor3D {
  return tf.reshape(tf.transpose(tf.reshape(t, [b, n, heads, hd]), [0, 2, 1, 3]), [b * heads, n, hd]);
}

/** Multi-head self-attention (timm Attention: fused qkv, scale q, softmax, proj). x: [B, N, D]. */
export function attention(x: tf.Tensor3D, p: AttentionParams, o: AttentionOptions): AttentionResult {
  const [out, cls] = tf.tidy(() => {
    const [b, n, d] = x.shape;
    const hd = d / o.heads;
    const [q, k, v] = tf.split(dense(x, p.qkv), 3, 2);
    const qh = splitHeads(tf.mul(q, 1 / Math.sqrt(hd)), b, n, o.heads, hd);
    const kt = tf.transpose(splitHeads(k, b, n, o.heads, hd), [0, 2, 1]);
    const attn = tf.softmax(matMul(qh, kt)); // [B·H, N, N]
    const ctx = matMul(attn, splitHeads(v, b, n, o.heads, hd)); // [B·H, N, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [b, o.heads, n, hd]), [0, 2, 1, 3]), [b, n, d]);
    const y = dense(merged, p.proj) as tf.Tensor3D;
    if (!o.returnClsAttention) return [y];
    const row = tf.slice(tf.reshape(attn, [b, o.heads, n, n]), [0, 0, 0, o.prefix], [b, o.heads, 1, n - o.prefix]);
    return [y, tf.reshape(tf.mean(row, 1), [b, n - o.prefix]) as tf.Tensor2D];
  });
  return { out: out as tf.Tensor3D, clsAttention: (cls as tf.Tensor2D | undefined) ?? null };
}
