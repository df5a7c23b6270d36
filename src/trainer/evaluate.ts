/** Evaluation of a model on one dataset: every sample once, in stored order, positions as stored. */
import type { TicketLoader } from '../loader/loader.js';
import { throwIfStopped } from '../util/abort.js';
import type { LossAcc } from './history.js';
import { addBatch, emptyMeter, summarize } from './metrics.js';
import { evalStep, type TrainModel } from './step.js';

export async function evaluate(model: TrainModel, loader: TicketLoader, signal?: AbortSignal): Promise<LossAcc> {
  let meter = emptyMeter();
  for await (const b of loader.batches(0)) {
    throwIfStopped(signal);
    const r = await evalStep(model, { size: b.size, k: loader.k, patches: b.patches, positions: b.positions, labels: b.labels });
    meter = addBatch(meter, r.loss, r.correct, b.size);
  }
  const s = summarize(meter);
  return { loss: s.loss, acc: s.acc };
}
