/**
 * Building a model that can be stopped. `initWeights` (model/weights.ts) makes every tensor in one
 * synchronous run: for a large model that is many seconds during which the event loop, and so a
 * SIGINT/SIGTERM handler, never runs. This builds the same weights, bit for bit (same seed, same
 * draws in the same order: test/trainer/interrupt.test.ts holds the two together), one tensor at
 * a time, yielding to the event loop between tensors and giving up with InterruptedError (every
 * tensor made so far disposed) once `signal` is aborted.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { gridOf, type ViTConfig } from '../model/configs.js';
import type { BlockParams, DenseParams, NormParams } from '../model/layers/params.js';
import { mulberry32, truncNormal, uniform } from '../model/rng.js';
import { variableFrom, type ViTParams } from '../model/weights.js';
import { stopSignal, throwIfStopped } from '../util/abort.js';

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Makes variables one at a time, checking the stop signal between them; disposes them all on a stop. */
class Maker {
  private readonly made: tf.Variable[] = [];
  constructor(private readonly signal: AbortSignal) {}

  async make(data: () => Float32Array, shape: number[]): Promise<tf.Variable> {
    await yieldToEventLoop();
    if (this.signal.aborted) {
      for (const x of this.made) x.dispose();
      throwIfStopped(this.signal);
    }
    const x = variableFrom(data(), shape);
    this.made.push(x);
    return x;
  }

  async dense(inDim: number, outDim: number, bias: boolean, rand: () => number, std = 0.02): Promise<DenseParams> {
    const weight = await this.make(() => truncNormal(inDim * outDim, std, rand), [inDim, outDim]);
    return { weight, bias: bias ? await this.make(() => new Float32Array(outDim), [outDim]) : null };
  }

  async norm(d: number): Promise<NormParams> {
    return { weight: await this.make(() => new Float32Array(d).fill(1), [d]), bias: await this.make(() => new Float32Array(d), [d]) };
  }
}

/** `initWeights(config, seed)`, interruptible by `signal` between tensors. */
export async function initWeightsInterruptibly(config: ViTConfig, seed: number, signal: AbortSignal = stopSignal): Promise<ViTParams> {
  const m = new Maker(signal);
  const rand = mulberry32(seed);
  const g = gridOf(config);
  const d = config.dim;
  const bound = 1 / Math.sqrt(g.patchDim);
  const patchEmbed = { weight: await m.make(() => uniform(g.patchDim * d, bound, rand), [g.patchDim, d]), bias: await m.make(() => uniform(d, bound, rand), [d]) };
  const blocks: BlockParams[] = [];
  for (let i = 0; i < config.depth; i++) {
    const norm1 = await m.norm(d);
    const attn = { qkv: await m.dense(d, 3 * d, config.qkvBias, rand), proj: await m.dense(d, d, true, rand) };
    const norm2 = await m.norm(d);
    blocks.push({ norm1, attn, norm2, mlp: { fc1: await m.dense(d, g.mlpDim, true, rand), fc2: await m.dense(g.mlpDim, d, true, rand) } });
  }
  const tokens = g.prefix + g.numPatches;
  return {
    patchEmbed,
    clsToken: config.classToken ? await m.make(() => truncNormal(d, 1e-6, rand), [1, 1, d]) : null,
    distToken: config.distilled ? await m.make(() => truncNormal(d, 0.02, rand), [1, 1, d]) : null,
    posEmbed: await m.make(() => truncNormal(tokens * d, 0.02, rand), [1, tokens, d]),
    blocks,
    norm: await m.norm(d),
    head: config.numClasses > 0 ? await m.dense(d, config.numClasses, true, rand) : null,
    headDist: config.distillHead ? await m.dense(d, config.numClasses, true, rand) : null,
  };
}
