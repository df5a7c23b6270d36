/**
 * The ViT / DeiT model, in named phases like timm's VisionTransformer:
 *
 *   keepTokens → embed (patch embedding, + position embedding of each kept position, prefix tokens)
 *   → blocks → final norm (`forwardFeatures`) → head (`forwardHead`).
 *
 * Inputs are our shard layout: `patches` [B, k, p·p·C] raw pixels 0–255 (int32 or float32 tensors;
 * tfjs has no uint8), each patch row-major (row, col, channel); `positions` [B, k] int32 raster
 * indices row·G_w + col. Dropped tokens are absent (not zeroed); each kept token carries its own
 * position embedding. Because the patch embedding acts per patch, keeping before embedding is
 * identical to timm's embed → pos-embed → keep order, and cheaper.
 *
 * Tensor ownership: every returned tensor belongs to the caller; inputs are never disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Block } from './block.js';
import { gridOf, type ViTConfig } from './configs.js';
import { dense } from './layers/linear.js';
import { gatherPatches, gatherTokens } from './layers/keep_tokens.js';
import { layerNorm } from './layers/norm.js';
import { normalisationVectors, patchEmbed } from './layers/patch_embed.js';
import { ModelError } from '../util/errors.js';
import { disposeParams, initWeights, namedVariables, type ViTParams, type WeightInit } from './weights.js';

export interface ForwardOptions {
  /** Also return every layer's head-averaged CLS → patch attention, [B, k] per layer. */
  returnAttention?: boolean;
}

export interface ForwardResult {
  logits: tf.Tensor2D;
  /** One [B, n_tokens − prefix] tensor per block (post-softmax, mean over heads), or null. */
  clsAttention: tf.Tensor2D[] | null;
}

export interface FeaturesResult {
  /** Final-norm output [B, prefix + k, D]. */
  x: tf.Tensor3D;
  clsAttention: tf.Tensor2D[] | null;
}

export class ViT {
  readonly blocks: Block[];
  readonly grid: ReturnType<typeof gridOf>;
  private scale: tf.Tensor1D;
  private offset: tf.Tensor1D;

  constructor(
    readonly config: ViTConfig,
    readonly params: ViTParams,
  ) {
    this.grid = gridOf(config);
    const o = { heads: config.heads, prefix: this.grid.prefix, layerNormEps: config.layerNormEps };
    this.blocks = params.blocks.map((b) => new Block(b, o));
    const { scale, offset } = normalisationVectors(this.grid.patchDim, config.mean, config.std);
    this.scale = tf.tensor1d(scale);
    this.offset = tf.tensor1d(offset);
  }

  /** Replaces the input normalisation x = (u / 255 − mean) / std (the selector's preprocessing). */
  setNormalisation(mean: number[], std: number[]): void {
    const { scale, offset } = normalisationVectors(this.grid.patchDim, mean, std);
    this.scale.dispose();
    this.offset.dispose();
    this.scale = tf.tensor1d(scale);
    this.offset = tf.tensor1d(offset);
    this.config.mean = [...mean];
    this.config.std = [...std];
  }

  /** A randomly initialised model (timm's init scheme `init`, deterministic by seed). */
  static init(config: ViTConfig, seed: number, init: WeightInit = 'timm'): ViT {
    return new ViT(config, initWeights(config, seed, init));
  }

  /** Phase keep: full-grid patches [B, numPatches, P] → the kept ones [B, k, P] at positions [B, k]. */
  keepTokens(patches: tf.Tensor3D, positions: tf.Tensor2D): tf.Tensor3D {
    return gatherPatches(patches, positions);
  }

  /**
   * Phase embed: patch embedding, + position embedding (each token its own row), prefix tokens.
   * `patches` [B, k, P] is aligned with `positions` [B, k] when given; without positions k must be
   * numPatches (the full grid, raster order). Full-grid patches with fewer positions are kept first.
   * Returns tokens [B, prefix + k, D].
   */
  embed(patches: tf.Tensor3D, positions?: tf.Tensor2D): tf.Tensor3D {
    this.checkInput(patches, positions);
    const { prefix, numPatches } = this.grid;
    const p = this.params;
    return tf.tidy(() => {
      const aligned = positions && patches.shape[1] !== positions.shape[1] ? this.keepTokens(patches, positions) : patches;
      const b = aligned.shape[0];
      const d = this.config.dim;
      const tokens = patchEmbed(aligned, p.patchEmbed, this.scale, this.offset);
      const patchPos = tf.slice(p.posEmbed, [0, prefix, 0], [1, numPatches, d]);
      const pos = positions ? gatherTokens(tf.reshape(patchPos, [numPatches, d]), positions) : patchPos;
      const parts: tf.Tensor[] = [];
      const prefixTokens = [p.clsToken, p.distToken].filter((t): t is tf.Variable => t !== null);
      prefixTokens.forEach((t, i) => {
        const withPos = tf.add(t, tf.slice(p.posEmbed, [0, i, 0], [1, 1, d]));
        parts.push(tf.add(withPos, tf.zeros([b, 1, d]))); // not tf.tile: its gradient is b slices and b adds
      });
      parts.push(tf.add(tokens, pos));
      return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor3D;
    });
  }

  /** Phases blocks → norm on embedded tokens [B, N, D]. */
  forwardFeatures(tokens: tf.Tensor3D, opts: ForwardOptions = {}): FeaturesResult {
    const [x, ...attn] = tf.tidy(() => {
      let h = tokens;
      const rows: tf.Tensor2D[] = [];
      for (const block of this.blocks) {
        const r = block.forward(h, { returnClsAttention: opts.returnAttention ?? false });
        if (r.clsAttention) rows.push(r.clsAttention);
        h = r.x;
      }
      return [layerNorm(h, this.params.norm, this.config.layerNormEps) as tf.Tensor3D, ...rows];
    });
    return { x: x as tf.Tensor3D, clsAttention: opts.returnAttention ? (attn as tf.Tensor2D[]) : null };
  }

  /**
   * Phase head: logits from the CLS token; a distillation head averages head(cls) and
   * headDist(dist). Without a head (numClasses 0) the CLS features [B, D] (timm's num_classes=0).
   */
  forwardHead(x: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [b, , d] = x.shape;
      const features = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]);
      if (!this.params.head) return features as tf.Tensor2D;
      const cls = dense(features, this.params.head);
      if (!this.params.headDist) return cls as tf.Tensor2D;
      const dist = dense(tf.reshape(tf.slice(x, [0, 1, 0], [b, 1, d]), [b, d]), this.params.headDist);
      return tf.div(tf.add(cls, dist), 2) as tf.Tensor2D;
    });
  }

  /** The whole model: logits [B, numClasses] and, if asked, per-layer CLS attention [B, k]. */
  forward(patches: tf.Tensor3D, positions?: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
    const [logits, ...attn] = tf.tidy(() => {
      const f = this.forwardFeatures(this.embed(patches, positions), opts);
      return [this.forwardHead(f.x), ...(f.clsAttention ?? [])];
    });
    return { logits: logits as tf.Tensor2D, clsAttention: opts.returnAttention ? (attn as tf.Tensor2D[]) : null };
  }

  /** The variables an optimizer trains (all parameters). */
  trainableVariables(): tf.Variable[] {
    return namedVariables(this.params).map(([, v]) => v);
  }

  dispose(): void {
    disposeParams(this.params);
    this.scale.dispose();
    this.offset.dispose();
  }

  private checkInput(patches: tf.Tensor3D, positions?: tf.Tensor2D): void {
    const { patchDim, numPatches } = this.grid;
    const bad = (msg: string): never => {
      throw new ModelError(`model input: ${msg}`);
    };
    if (patches.rank !== 3 || patches.shape[2] !== patchDim) bad(`patches shape [${patches.shape}] is not [B, k, ${patchDim}]`);
    if (!positions) {
      if (patches.shape[1] !== numPatches) bad(`without positions, patches must be the full grid of ${numPatches}, got ${patches.shape[1]}`);
      return;
    }
    if (positions.rank !== 2 || positions.shape[0] !== patches.shape[0]) bad(`positions shape [${positions.shape}] is not [${patches.shape[0]}, k]`);
    if (positions.shape[1] > numPatches) bad(`${positions.shape[1]} positions exceed the ${numPatches} patches of the grid`);
    if (patches.shape[1] !== positions.shape[1] && patches.shape[1] !== numPatches) {
      bad(`patches [${patches.shape}] are neither aligned with positions [${positions.shape}] nor the full grid`);
    }
  }
}
