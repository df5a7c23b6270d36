/**
 * One optimizer update and one evaluation batch. Tensor lifetime is closed here: every tensor a
 * step creates is disposed before it returns (checked by a test on `tf.memory().numTensors`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../util/errors.js';
import type { AdamW, NamedVariable } from './adamw.js';
import { clipFlat } from './clip.js';
import { flattenByName } from './flat.js';
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

/** Forward, backward, clip and AdamW update at learning rate `lr`. */
export async function trainStep(model: TrainModel, opt: AdamW, batch: HostBatch, lr: number, o: StepOptions): Promise<StepResult> {
  ensureGradients();
  const labels = tf.tensor1d(batch.labels, 'int32');
  const targets = batch.targets ? tf.tensor2d(batch.targets, [batch.size, batch.targets.length / batch.size]) : undefined;
  const byVarName = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const kept: { logits?: tf.Tensor2D } = {};
  let loss: tf.Scalar | undefined;
  let correct: tf.Scalar | undefined;
  let norm: tf.Scalar | undefined;
  try {
    const res = tf.variableGrads(() => {
      const l = model.logits(batch, true);
      kept.logits = tf.keep(l);
      return targets ? softTargetCrossEntropy(l, targets) : smoothedCrossEntropy(l, labels, o.labelSmoothing);
    }, model.params.map((p) => p.variable));
    loss = res.value;
    const grads: Record<string, tf.Tensor> = {};
    for (const [varName, g] of Object.entries(res.grads)) grads[byVarName.get(varName) ?? varName] = g;
    let flat: tf.Tensor1D;
    try {
      flat = flattenByName(opt.layout, grads);
    } finally {
      tf.dispose(Object.values(grads));
    }
    const clipped = clipFlat(flat, o.clipNorm);
    flat.dispose();
    norm = clipped.norm;
    try {
      opt.applyFlat(clipped.grad, lr);
    } finally {
      clipped.grad.dispose();
    }
    if (!kept.logits) throw new InputError('the model returned no logits');
    correct = correctCount(kept.logits, labels);
    const [l, c, n] = await Promise.all([loss.data(), correct.data(), norm.data()]);
    if (!Number.isFinite(l[0])) throw new InputError(`training diverged: the loss is ${l[0]} (lower the learning rate or enable clipping)`);
    return { loss: l[0], correct: c[0], gradNorm: n[0] };
  } finally {
    const owned: (tf.Tensor | undefined)[] = [labels, targets, kept.logits, loss, correct, norm];
    tf.dispose(owned.filter((t): t is tf.Tensor => t !== undefined));
  }
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
