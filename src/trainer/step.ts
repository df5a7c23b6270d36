/**
 * One optimizer update and one evaluation batch. Tensor lifetime is closed here: every tensor a
 * step creates is disposed before it returns (checked by a test on `tf.memory().numTensors`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../util/errors.js';
import type { AdamW, NamedVariable } from './adamw.js';
import { clipFlat } from './clip.js';
import { flattenByName, type FlatLayout } from './flat.js';
import { ensureGradients } from './gradients.js';
import { correctCount, smoothedCrossEntropy, softTargetCrossEntropy } from './loss.js';

/** A batch as host arrays: `size` samples of k patches of `patchDim` bytes. */
export interface HostBatch {
  size: number;
  k: number;
  patches: Uint8Array;
  positions: Uint16Array;
  labels: Int32Array;
  /** [size · classes] soft targets (mixup/cutmix): the loss is then their cross entropy, `labels` only count correct answers. */
  targets?: Float32Array | null;
}

/** What the trainer needs of a model. */
export interface TrainModel {
  readonly params: readonly NamedVariable[];
  /** Logits [size, classes]; creates (and owns) its input tensors inside the caller's scope. */
  logits(batch: HostBatch, training: boolean): tf.Tensor2D;
}

export interface StepOptions {
  labelSmoothing: number;
  clipNorm: number;
}

export interface StepResult {
  /** Mean training loss of the batch (before the update). */
  loss: number;
  correct: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** The gradient of one batch's mean loss, as one vector in `layout` order, with the loss and correct count. The caller disposes all three. */
export interface BatchGradient {
  flat: tf.Tensor1D;
  loss: tf.Scalar;
  correct: tf.Scalar;
}

/**
 * Forward and backward of one batch: the flat gradient of its mean (smoothed) loss over all
 * parameters. The one place the trainer differentiates; `trainStep` and the data-parallel workers
 * (data-parallel.ts) both use it.
 */
export function batchGradient(model: TrainModel, layout: FlatLayout, batch: HostBatch, labelSmoothing: number): BatchGradient {
  ensureGradients();
  const labels = tf.tensor1d(batch.labels, 'int32');
  const targets = batch.targets ? tf.tensor2d(batch.targets, [batch.size, batch.targets.length / batch.size]) : undefined;
  const byVarName = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const kept: { logits?: tf.Tensor2D } = {};
  let loss: tf.Scalar | undefined;
  try {
    const res = tf.variableGrads(() => {
      const l = model.logits(batch, true);
      kept.logits = tf.keep(l);
      return targets ? softTargetCrossEntropy(l, targets) : smoothedCrossEntropy(l, labels, labelSmoothing);
    }, model.params.map((p) => p.variable));
    loss = res.value;
    const grads: Record<string, tf.Tensor> = {};
    for (const [varName, g] of Object.entries(res.grads)) grads[byVarName.get(varName) ?? varName] = g;
    let flat: tf.Tensor1D;
    try {
      flat = flattenByName(layout, grads);
    } finally {
      tf.dispose(Object.values(grads));
    }
    if (!kept.logits) {
      flat.dispose();
      throw new InputError('the model returned no logits');
    }
    const out = { flat, loss, correct: correctCount(kept.logits, labels) };
    loss = undefined;
    return out;
  } finally {
    const owned: (tf.Tensor | undefined)[] = [labels, targets, kept.logits, loss];
    tf.dispose(owned.filter((t): t is tf.Tensor => t !== undefined));
  }
}

/** Clips `flat` (disposed here) to `clipNorm`, applies AdamW at `lr`, and returns the norm before clipping. */
export function clipAndUpdate(opt: AdamW, flat: tf.Tensor1D, lr: number, clipNorm: number): tf.Scalar {
  let clipped: ReturnType<typeof clipFlat>;
  try {
    clipped = clipFlat(flat, clipNorm);
  } finally {
    flat.dispose();
  }
  try {
    opt.applyFlat(clipped.grad, lr);
  } catch (err) {
    clipped.norm.dispose();
    throw err;
  } finally {
    clipped.grad.dispose();
  }
  return clipped.norm;
}

/** Forward, backward, clip and AdamW update at learning rate `lr`. */
export async function trainStep(model: TrainModel, opt: AdamW, batch: HostBatch, lr: number, o: StepOptions): Promise<StepResult> {
  const g = batchGradient(model, opt.layout, batch, o.labelSmoothing);
  let norm: tf.Scalar | undefined;
  try {
    norm = clipAndUpdate(opt, g.flat, lr, o.clipNorm);
    const [l, c, n] = await Promise.all([g.loss.data(), g.correct.data(), norm.data()]);
    return finishedStep(l[0], c[0], n[0]);
  } finally {
    const owned: (tf.Tensor | undefined)[] = [g.loss, g.correct, norm];
    tf.dispose(owned.filter((t): t is tf.Tensor => t !== undefined));
  }
}

/** A step's result, refused when the loss is not finite. */
export function finishedStep(loss: number, correct: number, gradNorm: number): StepResult {
  if (!Number.isFinite(loss)) throw new InputError(`training diverged: the loss is ${loss} (lower the learning rate or enable clipping)`);
  return { loss, correct, gradNorm };
}

/** Mean loss (plain cross entropy, as timm validates) and correct count of an evaluation batch. */
export async function evalStep(model: TrainModel, batch: HostBatch): Promise<{ loss: number; correct: number }> {
  const [loss, correct] = tf.tidy(() => {
    const labels = tf.tensor1d(batch.labels, 'int32');
    const logits = model.logits(batch, false);
    return [smoothedCrossEntropy(logits, labels, 0), correctCount(logits, labels)];
  });
  try {
    const [l, c] = await Promise.all([loss.data(), correct.data()]);
    return { loss: l[0], correct: c[0] };
  } finally {
    tf.dispose([loss, correct]);
  }
}
