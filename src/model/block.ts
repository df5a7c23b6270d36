/**
 * A pre-norm transformer block, split into its two residual halves so a scorer can act between
 * them (EViT keeps the top tokens after attention, before the MLP):
 *
 * ```ts
 * const { x: afterAttn, clsAttention } = block.forwardAttention(x, { returnClsAttention: true });
 * const kept = keepTopTokens(afterAttn, clsAttention, ...);   // the scorer's own logic
 * const next = block.forwardMlp(kept);
 * ```
 *
 * `forward(x)` is the two lines composed. Tensors returned are owned by the caller; inputs are not
 * disposed.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { tidy, reshape } from '@tensorflow/tfjs-core';
import { attentionRows } from './layers/attention.js';
import { mlpRows } from './layers/mlp.js';
import { normalize } from './layers/norm.js';
import { residual } from './layers/residual.js';
import type { BlockParams } from './layers/params.js';

export interface BlockOptions {
  heads: number;
  /** Prefix tokens (CLS [+ distillation]) at the front of x. */
  prefix: number;
  layerNormEps: number;
}

export interface BlockAttentionResult {
  /** x + attn(norm1(x)), [B, N, D]. */
  x: tf.Tensor3D;
  /** [B, N − prefix] head-averaged CLS → token attention of this block, or null when not asked. */
  clsAttention: tf.Tensor2D | null;
}

/** x [B, N, D] as rows [B·N, D], and back. */
const toRows = (x: tf.Tensor3D): tf.Tensor2D => reshape(x, [x.shape[0] * x.shape[1], x.shape[2]]);
const fromRows = (x: tf.Tensor2D, like: tf.Tensor3D): tf.Tensor3D => reshape(x, like.shape);

export class Block {
  constructor(
    readonly params: BlockParams,
    readonly options: BlockOptions,
  ) {}

  /** First residual half: x + attn(norm1(x)); optionally this block's CLS attention row. */
  forwardAttention(x: tf.Tensor3D, opts: { returnClsAttention?: boolean } = {}): BlockAttentionResult {
    const [y, cls] = tidy(() => {
      const r = this.attentionRows(toRows(x), x.shape[0], x.shape[1], opts.returnClsAttention ?? false);
      const sum = fromRows(r.x, x);
      return r.clsAttention ? [sum, r.clsAttention] : [sum];
    });
    return { x: y as tf.Tensor3D, clsAttention: (cls as tf.Tensor2D | undefined) ?? null };
  }

  /** Second residual half: x + mlp(norm2(x)). Works on any token count (e.g. after pruning). */
  forwardMlp(x: tf.Tensor3D): tf.Tensor3D {
    return tidy(() => fromRows(this.mlpRows(toRows(x)), x));
  }

  /** Both halves. */
  forward(x: tf.Tensor3D, opts: { returnClsAttention?: boolean } = {}): BlockAttentionResult {
    const [y, cls] = tidy(() => {
      const a = this.attentionRows(toRows(x), x.shape[0], x.shape[1], opts.returnClsAttention ?? false);
      const out = fromRows(this.mlpRows(a.x), x);
      return a.clsAttention ? [out, a.clsAttention] : [out];
    });
    return { x: y as tf.Tensor3D, clsAttention: (cls as tf.Tensor2D | undefined) ?? null };
  }

  /** x + attn(norm1(x)) on rows [B·N, D] of b samples of n tokens (norm1's scale and shift folded into qkv). */
  private attentionRows(x: tf.Tensor2D, b: number, n: number, returnClsAttention: boolean): { x: tf.Tensor2D; clsAttention: tf.Tensor2D | null } {
    const o = this.options;
    const p = this.params;
    const r = attentionRows(normalize(x, o.layerNormEps) as tf.Tensor2D, p.attn, { b, n, heads: o.heads }, { heads: o.heads, prefix: o.prefix, returnClsAttention }, p.norm1);
    return { x: residual(x, r.out) as tf.Tensor2D, clsAttention: r.clsAttention };
  }

  /** x + mlp(norm2(x)) on rows [T, D] (norm2's scale and shift folded into fc1). */
  private mlpRows(x: tf.Tensor2D): tf.Tensor2D {
    const p = this.params;
    return residual(x, mlpRows(normalize(x, this.options.layerNormEps) as tf.Tensor2D, p.mlp, p.norm2)) as tf.Tensor2D;
  }
}
