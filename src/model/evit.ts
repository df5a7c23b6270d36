/**
 * EViT's token-keeping forward (Liang et al. 2022; official code youweiliang/evit), without token
 * fusion (`fuse_token=False`: the tokens a block does not keep are dropped, not fused into an extra
 * token). The one EViT forward of the package: the scoring mode `evit` drives it to pick tickets
 * (exact ranking on the host, stops after the last pruning block) and the trainer's EViT evaluation
 * drives it to the logits (device-side top-k).
 *
 * At each pruning block, after the attention half and before the MLP, the pass pauses with that
 * block's head-averaged CLS attention to its n patch tokens. The caller ranks them and names the
 * `keepCount(rate)` = ceil(rate·n) patch tokens that go on; the prefix tokens (CLS [+ distillation])
 * always stay, first, and the kept patch tokens follow in the order given (EViT's
 * `topk(sorted=True)` + gather). The pass then runs that block's MLP and the blocks up to the next
 * pruning block's attention, or, after the last pruning block, stops: `logits()` runs the rest.
 *
 * Tensor ownership: a pass owns `x` and `clsAttention` until `dispose()`. `keep` returns a new pass
 * and leaves its own unchanged (the caller disposes both), so chains at several rates can branch
 * from one pass. Inputs are never disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError, ModelError, show } from '../util/errors.js';
import { evitKeepCount } from './evit-counts.js';
import { batchGather } from './layers/keep_tokens.js';
import { layerNorm } from './layers/norm.js';
import type { ViT } from './vit.js';

/** Throws unless `blocks` is a non-empty, strictly ascending list of the model's `depth` blocks; `what` starts the message. */
export function checkEvitBlocks(blocks: readonly number[], depth: number, what: string): void {
  if (blocks.length === 0) throw new InputError(`${what}: blocks must list at least one block`);
  blocks.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0 || b >= depth) throw new InputError(`${what}: block ${show(b)} is outside the model's ${depth} blocks`);
    if (i > 0 && b <= blocks[i - 1]) throw new InputError(`${what}: blocks must be strictly ascending, got ${show(blocks)}`);
  });
}

/** `f(x)`, then disposes `x`. */
function consume<X extends tf.Tensor, T>(x: X, f: (x: X) => T): T {
  try {
    return f(x);
  } finally {
    x.dispose();
  }
}

/** Blocks `from`…`to − 1` on tokens `x` (not disposed): new tokens, a clone of x when no block runs. */
function runBlocks(vit: ViT, x: tf.Tensor3D, from: number, to: number): tf.Tensor3D {
  let h = tf.clone(x);
  for (let i = from; i < to; i++) h = consume(h, (t) => vit.blocks[i].forward(t).x);
  return h;
}

/** Rows of `x` [B, prefix + n, D]: the prefix tokens, then the patch tokens `patchTokens` [B, keep] (0-based among the n). */
function keepRows(x: tf.Tensor3D, patchTokens: tf.Tensor2D, prefix: number): tf.Tensor3D {
  return tf.tidy(() => {
    const patches = tf.add(tf.cast(patchTokens, 'int32'), tf.scalar(prefix, 'int32'));
    if (prefix === 0) return batchGather(x, patches as tf.Tensor2D) as tf.Tensor3D;
    const pre = tf.tile(tf.reshape(tf.range(0, prefix, 1, 'int32'), [1, prefix]), [x.shape[0], 1]);
    return batchGather(x, tf.concat([pre, patches], 1) as tf.Tensor2D) as tf.Tensor3D;
  });
}

/** A pass paused at a pruning block whose tokens are still to be kept. */
export type EvitPause = EvitPass & { readonly clsAttention: tf.Tensor2D };

export class EvitPass {
  private constructor(
    private readonly vit: ViT,
    /** The pruning blocks, strictly ascending. */
    readonly blocks: readonly number[],
    /** Tokens [B, prefix + n, D] after block `block`'s attention half, before its MLP. */
    readonly x: tf.Tensor3D,
    /** The block the pass paused at. */
    readonly block: number,
    /** Block `block`'s head-averaged CLS attention to the n patch tokens [B, n] until they are kept; null after the last pruning block's keep. */
    readonly clsAttention: tf.Tensor2D | null,
  ) {}

  /** Embeds full-grid `patches` [B, numPatches, P] and runs to the first pruning block's attention. */
  static start(vit: ViT, patches: tf.Tensor3D, blocks: readonly number[]): EvitPause {
    checkEvitBlocks(blocks, vit.blocks.length, 'EViT');
    const x = consume(vit.embed(patches), (t) => runBlocks(vit, t, 0, blocks[0]));
    return consume(x, (t) => EvitPass.attend(vit, [...blocks], t, blocks[0]));
  }

  /** Block `block`'s attention half on `x` (not disposed), paused for its keep. */
  private static attend(vit: ViT, blocks: readonly number[], x: tf.Tensor3D, block: number): EvitPause {
    const a = vit.blocks[block].forwardAttention(x, { returnClsAttention: true });
    if (!a.clsAttention) {
      a.x.dispose();
      throw new ModelError('the model returned no CLS attention');
    }
    return new EvitPass(vit, blocks, a.x, block, a.clsAttention) as EvitPause;
  }

  /** Whether the pass waits at a pruning block for its keep (then `clsAttention` is set). */
  paused(): this is EvitPause {
    return this.clsAttention !== null;
  }

  /** Patch tokens taking part in this pruning block (n). */
  get patchTokens(): number {
    return this.x.shape[1] - this.vit.grid.prefix;
  }

  /** How many of this block's patch tokens EViT keeps at `rate`: ceil(rate·n). */
  keepCount(rate: number): number {
    return evitKeepCount(this.patchTokens, rate);
  }

  /**
   * Keeps the prefix tokens and the patch tokens `patchTokens` [B, keep] (int32, 0-based among this
   * block's n, in the order they go on; not disposed), then runs to the next pruning block's
   * attention. Returns the new pass; this one is unchanged.
   */
  keep(patchTokens: tf.Tensor2D): EvitPass {
    if (!this.clsAttention) throw new ModelError(`EViT: the tokens of block ${this.block} are already kept`);
    const kept = keepRows(this.x, patchTokens, this.vit.grid.prefix);
    const next = this.blocks.find((b) => b > this.block);
    if (next === undefined) return new EvitPass(this.vit, this.blocks, kept, this.block, null);
    const mlp = consume(kept, (t) => this.vit.blocks[this.block].forwardMlp(t));
    const x = consume(mlp, (t) => runBlocks(this.vit, t, this.block + 1, next));
    return consume(x, (t) => EvitPass.attend(this.vit, this.blocks, t, next));
  }

  /** After the last pruning block's keep: its MLP, the remaining blocks, the final norm and the head → logits [B, classes]. */
  logits(): tf.Tensor2D {
    if (this.clsAttention) throw new ModelError(`EViT: keep the tokens of block ${this.block} before the logits`);
    const { vit } = this;
    const x = consume(vit.blocks[this.block].forwardMlp(this.x), (t) => runBlocks(vit, t, this.block + 1, vit.blocks.length));
    return consume(x, (t) => tf.tidy(() => vit.forwardHead(layerNorm(t, vit.params.norm, vit.config.layerNormEps) as tf.Tensor3D)));
  }

  dispose(): void {
    this.x.dispose();
    this.clsAttention?.dispose();
  }
}
