/**
 * Building a model that can be stopped. `initWeights` (model/weights.ts) makes every tensor in one
 * synchronous run: for a large model that is many seconds during which the event loop, and so a
 * SIGINT/SIGTERM handler, never runs. This drains the same plan (model/weights.ts weightPlan: the
 * same draws in the same order, so the same weights bit for bit), one tensor at a time, yielding to
 * the event loop between tensors and giving up with InterruptedError (every tensor made so far
 * disposed) once `signal` is aborted.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ViTConfig } from '../model/configs.js';
import { variableFrom, weightPlan, type ViTParams, type WeightInit } from '../model/weights.js';
import { stopSignal, throwIfStopped } from '../util/abort.js';

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `initWeights(config, seed)` (the same plan, drained one tensor at a time), interruptible by `signal` between tensors. */
export async function initWeightsInterruptibly(config: ViTConfig, seed: number, signal: AbortSignal = stopSignal, init: WeightInit = 'timm'): Promise<ViTParams> {
  const made: tf.Variable[] = [];
  const plan = weightPlan(config, seed, init);
  let step = plan.next();
  while (!step.done) {
    await yieldToEventLoop();
    if (signal.aborted) {
      for (const x of made) x.dispose();
      throwIfStopped(signal);
    }
    const x = variableFrom(step.value.data(), step.value.shape);
    made.push(x);
    step = plan.next(x);
  }
  return step.value;
}
