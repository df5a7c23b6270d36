/**
 * The bridge from the model module to the trainer: builds the ViT of a config and exposes it as a
 * `TrainModel` (named parameters, logits from host batches, validated by the model's input code).
 */
import * as tf from '@tensorflow/tfjs-core';
import { namedVariables, type WeightInit } from '../model/weights.js';
import { toModelInput } from '../model/input.js';
import { ViT } from '../model/vit.js';
import type { ViTConfig } from '../model/configs.js';
import { initWeightsInterruptibly } from './init.js';
import type { HostBatch, TrainModel } from './step.js';

export function asTrainModel(vit: ViT): TrainModel {
  const params = namedVariables(vit.params).map(([name, variable]) => ({ name, variable }));
  const { patchDim, numPatches } = vit.grid;
  return {
    params,
    logits(batch: HostBatch): tf.Tensor2D {
      return tf.tidy(() => {
        const shape = { batch: batch.size, k: batch.k, patchDim, numPatches };
        const input = toModelInput(batch.patches, batch.positions, shape);
        return vit.forward(input.patches, input.positions).logits;
      });
    },
  };
}

/** A freshly initialised ViT of `config` (deterministic by seed) and its trainer view. */
export function buildModel(config: ViTConfig, seed: number): { vit: ViT; model: TrainModel } {
  const vit = ViT.init(config, seed);
  return { vit, model: asTrainModel(vit) };
}

/**
 * `buildModel` for a model that may take seconds to build: the same weights, made one tensor at a
 * time; a stop request (`signal`, default SIGINT/SIGTERM) ends the construction between tensors.
 */
export async function buildModelStoppable(config: ViTConfig, seed: number, signal?: AbortSignal, init: WeightInit = 'timm'): Promise<{ vit: ViT; model: TrainModel }> {
  const vit = new ViT(config, await initWeightsInterruptibly(config, seed, signal, init));
  return { vit, model: asTrainModel(vit) };
}
