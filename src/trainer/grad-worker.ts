/**
 * A data-parallel worker process (started by data-parallel.ts, never by a user): builds the model
 * of its `init` message, then for each `step` takes the parameters it is sent and returns the flat
 * gradient of its part of the batch (step.ts `batchGradient`, the trainer's one gradient). It keeps
 * no state between steps, prints nothing, and exits when its parent goes away.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend/init.js';
import { buildModel } from './model.js';
import { flatLayout, type FlatLayout } from './flat.js';
import { batchGradient, type TrainModel } from './step.js';
import type { PartAt, WorkerReply, WorkerRequest } from './grad-worker-protocol.js';
import { Exchange } from './exchange.js';
import type { HostBatch } from './step.js';

interface Ready {
  model: TrainModel;
  layout: FlatLayout;
  exchange: Exchange;
  gradAt: number;
  params: Float32Array;
}
let ready: Ready | null = null;

/** A batch part read from the exchange file (sizes bounded by the file: a short read is an error). */
function readPart(x: Exchange, p: PartAt): HostBatch {
  const b: HostBatch = { size: p.size, k: p.k, patches: new Uint8Array(p.patchBytes), positions: new Uint16Array(p.size * p.k), labels: new Int32Array(p.size) };
  x.read(p.patchesAt, b.patches);
  x.read(p.positionsAt, b.positions);
  x.read(p.labelsAt, b.labels);
  if (p.targetValues > 0) {
    const targets = new Float32Array(p.targetValues);
    x.read(p.targetsAt, targets);
    b.targets = targets;
  }
  return b;
}

function reply(m: WorkerReply): void {
  process.send?.(m);
}

/** Each parameter takes its part of `flat` (new tensors from host memory: no kernels). */
function setParams(m: TrainModel, l: FlatLayout, flat: Float32Array): void {
  if (flat.length !== l.total) throw new Error(`${flat.length} parameter values for ${l.total} parameters`);
  m.params.forEach((p, i) => {
    const t = tf.tensor(flat.subarray(l.offsets[i], l.offsets[i] + l.sizes[i]), p.variable.shape, 'float32');
    p.variable.assign(t);
    t.dispose();
  });
}

async function handle(req: WorkerRequest): Promise<void> {
  if (req.type === 'init') {
    await initBackend({ backend: req.backend });
    const model = buildModel(req.model, 0).model;
    const layout = flatLayout(model.params.map((p) => ({ name: p.name, shape: p.variable.shape })));
    const same = layout.names.length === req.names.length && layout.names.every((n, i) => n === req.names[i] && layout.sizes[i] === req.sizes[i]);
    if (!same) throw new Error('the worker\'s model has other parameters than the trainer\'s');
    ready = { model, layout, exchange: Exchange.open(req.exchange), gradAt: req.gradAt, params: new Float32Array(layout.total) };
    reply({ type: 'ready' });
    return;
  }
  if (!ready) throw new Error('a step before init');
  const { model, layout, exchange } = ready;
  exchange.read(0, ready.params);
  setParams(model, layout, ready.params);
  const g = batchGradient(model, layout, readPart(exchange, req.part), req.labelSmoothing);
  try {
    const [grad, loss, correct] = await Promise.all([g.flat.data(), g.loss.data(), g.correct.data()]);
    exchange.write(ready.gradAt, grad);
    reply({ type: 'grad', id: req.id, loss: loss[0], correct: correct[0] });
  } finally {
    tf.dispose([g.flat, g.loss, g.correct]);
  }
}

// Requests are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
process.on('message', (req: WorkerRequest) => {
  queue = queue.then(() => handle(req)).catch((err: unknown) => reply({ type: 'error', id: req.type === 'step' ? req.id : -1, message: err instanceof Error ? err.message : String(err) }));
});
process.on('disconnect', () => process.exit(0));
// The parent decides when to stop (a terminal's Ctrl-C reaches the whole process group).
process.on('SIGINT', () => {});

