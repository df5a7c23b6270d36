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
import { tidy, add } from '@tensorflow/tfjs-core';
import { attention } from './layers/attention.js';
import { mlp } from './layers/mlp.js';
import { layerNorm } from './layers/norm.js';
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

export class Block {
  constructor(
    readonly params: BlockParams,
    readonly options: BlockOptions,
  ) {}

  /** First residual half: x + attn(norm1(x)); optionally this block's CLS attention row. */
  forwardAttention(x: tf.Tensor3D, opts: { returnClsAttention?: boolean } = {}): BlockAttentionResult {
    const o = this.options;
    const [y, cls] = tidy(() => {
      const r = attention(layerNorm(x, this.params.norm1, o.layerNormEps) as tf.Tensor3D, this.params.attn, {
        heads: o.heads,
        prefix: o.prefix,
        returnClsAttention: opts.returnClsAttention ?? false,
      });
      const sum = add(x, r.out) as tf.Tensor3D;
      return r.clsAttention ? [sum, r.clsAttention] : [sum];
    });
    return { x: y as tf.Tensor3D, clsAttention: (cls as tf.Tensor2D | undefined) ?? null };
  }

  /** Second residual half: x + mlp(norm2(x)). Works on any token count (e.g. after pruning). */
  forwardMlp(x: tf.Tensor3D): tf.Tensor3D {
    return tidy(() => add(x, mlp(layerNorm(x, this.params.norm2, this.options.layerNormEps), this.params.mlp)) as tf.Tensor3D);
  }

  /** Both halves. */
  forward(x: tf.Tensor3D, opts: { returnClsAttention?: boolean } = {}): BlockAttentionResult {
    const a = this.forwardAttention(x, opts);
    const y = this.forwardMlp(a.x);
    a.x.dispose();
    return { x: y, clsAttention: a.clsAttention };
  }
}
