/**
 * Accuracy of a model run as EViT (the selector's accuracy "with pruning"): at each pruning block,
 * after attention and before the MLP, only the top ceil(r·n) patch tokens by that block's
 * head-averaged CLS attention go on (prefix tokens always stay); the remaining blocks, the final norm
 * and the head run on the survivors. Evaluated on full-grid datasets (k = N) only. Ties among equal
 * attention values are broken by tf.topk (accuracy, not tickets, is measured here: the tickets
 * themselves come from the scoring stage's exact host-side selection).
 */
import * as tf from '@tensorflow/tfjs-core';
import { layerNorm } from '../model/layers/norm.js';
import { batchGather } from '../model/layers/keep_tokens.js';
import type { ViT } from '../model/vit.js';
import { toModelInput } from '../model/input.js';
import { evitKeepCount } from '../model/evit-counts.js';
import type { TicketLoader } from '../loader/loader.js';
import { InputError } from '../util/errors.js';
import { throwIfStopped } from '../util/abort.js';

export interface EvitEvalSpec {
  /** Keep rates, one chain each. */
  rates: number[];
  /** 0-based pruning blocks, ascending. */
  blocks: number[];
}

/** Keeps, per sample, the prefix tokens and the `keep` patch tokens of highest CLS attention (in rank order). */
function prune(x: tf.Tensor3D, cls: tf.Tensor2D, keep: number, prefix: number): tf.Tensor3D {
  return tf.tidy(() => {
    const top = tf.add(tf.topk(cls, keep).indices, tf.scalar(prefix, 'int32'));
    const pre = tf.tile(tf.reshape(tf.range(0, prefix, 1, 'int32'), [1, prefix]), [x.shape[0], 1]);
    return batchGather(x, tf.concat([pre, top], 1) as tf.Tensor2D) as tf.Tensor3D;
  });
}

/** Logits [B, classes] of the EViT-pruned forward of full-grid `patches` [B, N, patchDim]. */
export function evitLogits(vit: ViT, patches: tf.Tensor3D, spec: { rate: number; blocks: number[] }): tf.Tensor2D {
  const prunes = new Set(spec.blocks);
  const { prefix } = vit.grid;
  let x = vit.embed(patches);
  for (let i = 0; i < vit.blocks.length; i++) {
    const a = vit.blocks[i].forwardAttention(x, { returnClsAttention: prunes.has(i) });
    x.dispose();
    x = a.x;
    if (a.clsAttention) {
      const kept = prune(x, a.clsAttention, evitKeepCount(x.shape[1] - prefix, spec.rate), prefix);
      [x, a.clsAttention].forEach((t) => t.dispose());
      x = kept;
    }
    const y = vit.blocks[i].forwardMlp(x);
    x.dispose();
    x = y;
  }
  const logits = tf.tidy(() => vit.forwardHead(layerNorm(x, vit.params.norm, vit.config.layerNormEps) as tf.Tensor3D));
  x.dispose();
  return logits;
}

/** Top-1 accuracy of the EViT-pruned model at `rate` over every sample of a full-grid dataset. */
export async function evitAccuracy(vit: ViT, loader: TicketLoader, rate: number, blocks: number[], signal?: AbortSignal): Promise<number> {
  const { numPatches, patchDim } = vit.grid;
  if (loader.k !== numPatches) throw new InputError(`EViT evaluation needs all ${numPatches} patches per sample, the dataset has ${loader.k}`);
  const bad = blocks.find((x) => x >= vit.blocks.length);
  if (bad !== undefined) throw new InputError(`EViT evaluation: block ${bad} is outside the model's ${vit.blocks.length} blocks`);
  let correct = 0;
  let seen = 0;
  for await (const b of loader.batches(0)) {
    throwIfStopped(signal);
    const input = toModelInput(b.patches, null, { batch: b.size, k: numPatches, patchDim, numPatches });
    const pred = tf.tidy(() => tf.argMax(evitLogits(vit, input.patches, { rate, blocks }), 1));
    input.patches.dispose();
    const p = await pred.data();
    pred.dispose();
    for (let i = 0; i < b.size; i++) if (p[i] === b.labels[i]) correct++;
    seen += b.size;
  }
  return seen > 0 ? correct / seen : Number.NaN;
}
