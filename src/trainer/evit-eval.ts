/**
 * Accuracy of a model run as EViT (the selector's accuracy "with pruning"): at each pruning block,
 * after attention and before the MLP, only the top ceil(r·n) patch tokens by that block's
 * head-averaged CLS attention go on (prefix tokens always stay); the remaining blocks, the final norm
 * and the head run on the survivors. Evaluated on full-grid datasets (k = N) only. Ties among equal
 * attention values are broken by tf.topk (accuracy, not tickets, is measured here: the tickets
 * themselves come from the scoring stage's exact host-side selection).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ViT } from '../model/vit.js';
import { toModelInput } from '../model/input.js';
import { checkEvitBlocks, EvitPass } from '../model/evit.js';
import type { TicketLoader } from '../loader/loader.js';
import { InputError } from '../util/errors.js';
import { throwIfStopped } from '../util/abort.js';

export interface EvitEvalSpec {
  /** Keep rates, one chain each. */
  rates: number[];
  /** 0-based pruning blocks, ascending. */
  blocks: number[];
}

/**
 * Logits [B, classes] of the EViT-pruned forward (`model/evit.ts`) of full-grid `patches`
 * [B, N, patchDim], keeping at each pruning block the patch tokens tf.topk ranks first.
 */
export function evitLogits(vit: ViT, patches: tf.Tensor3D, spec: { rate: number; blocks: number[] }): tf.Tensor2D {
  let pass: EvitPass = EvitPass.start(vit, patches, spec.blocks);
  try {
    while (pass.paused()) {
      const cls = pass.clsAttention;
      const top = tf.tidy(() => tf.topk(cls, pass.keepCount(spec.rate)).indices as tf.Tensor2D);
      const next = pass.keep(top);
      top.dispose();
      pass.dispose();
      pass = next;
    }
    return pass.logits();
  } finally {
    pass.dispose();
  }
}

/** Top-1 accuracy of the EViT-pruned model at `rate` over every sample of a full-grid dataset. */
export async function evitAccuracy(vit: ViT, loader: TicketLoader, rate: number, blocks: number[], signal?: AbortSignal): Promise<number> {
  const { numPatches, patchDim } = vit.grid;
  if (loader.k !== numPatches) throw new InputError(`EViT evaluation needs all ${numPatches} patches per sample, the dataset has ${loader.k}`);
  checkEvitBlocks(blocks, vit.blocks.length, 'EViT evaluation');
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
