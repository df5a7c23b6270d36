/**
 * Data parallelism across processes on one machine: each optimizer step's batch is cut into N
 * contiguous parts; this process computes the gradient of part 0 while N − 1 worker processes
 * (grad-worker.ts) compute the others with the same parameters; the parts' mean-loss gradients are
 * combined as the batch mean (Σ nᵢ·gᵢ / B, in a fixed order), then clipped and applied here by the
 * one AdamW. The workers hold no state: every request carries the current parameters, so a resumed
 * or checkpointed run is this process's business alone.
 *
 * Why processes: small ViTs leave a TensorFlow runtime's second thread idle (most kernels are too
 * small to split), and two runtimes in one process share one thread pool. The result equals a
 * one-process step up to float rounding (the sum over the batch is taken in N parts), so N is part
 * of the run's configuration; N = 1 is `trainStep` itself.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend/types.js';
import type { ViTConfig } from '../model/configs.js';
import { BackendError, InputError } from '../util/errors.js';
import type { AdamW } from './adamw.js';
import { batchGradient, clipAndUpdate, finishedStep, trainStep, type HostBatch, type StepOptions, type StepResult, type TrainModel } from './step.js';
import type { PartAt, WorkerReply, WorkerRequest } from './grad-worker-protocol.js';
import { align64, Exchange } from './exchange.js';

/** Most processes one run may use. */
export const MAX_DATA_PARALLEL = 64;

/** `size` samples cut into `n` contiguous parts, the first `size mod n` one larger (empty parts when size < n). */
export function splitSizes(size: number, n: number): number[] {
  const base = Math.floor(size / n);
  return Array.from({ length: n }, (_, i) => base + (i < size % n ? 1 : 0));
}

/** Samples [start, start + count) of a batch (copies: a part travels to another process alone). */
export function batchPart(b: HostBatch, start: number, count: number): HostBatch {
  const per = b.patches.length / b.size;
  return {
    size: count,
    k: b.k,
    patches: b.patches.slice(start * per, (start + count) * per),
    positions: b.positions.slice(start * b.k, (start + count) * b.k),
    labels: b.labels.slice(start, start + count),
    targets: b.targets ? b.targets.slice(start * (b.targets.length / b.size), (start + count) * (b.targets.length / b.size)) : null,
  };
}

/** Σ wᵢ·gᵢ element-wise in the order given (double accumulation, one rounding to float32). */
export function combineGradients(parts: readonly { grad: Float32Array; weight: number }[], length: number): Float32Array {
  for (const p of parts) if (p.grad.length !== length) throw new BackendError(`a gradient worker returned ${p.grad.length} values for ${length} parameters`);
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) {
    let s = 0;
    for (const p of parts) s += p.weight * p.grad[j];
    out[j] = s;
  }
  return out;
}

export interface DataParallelSpec {
  /** Processes in all, this one included (≥ 1). */
  processes: number;
  model: ViTConfig;
  backend?: BackendName;
  /** TensorFlow intra-op threads of each worker process. */
  threads: number;
}

/** A worker's answer: its part's mean loss and correct count (the gradient is in the exchange file). */
interface PartResult {
  loss: number;
  correct: number;
}

interface Pending {
  resolve(r: PartResult): void;
  reject(e: Error): void;
}

/** One worker process and its requests in flight. */
class Worker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private stderr = '';
  private failure: Error | null = null;

  constructor(
    readonly index: number,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
    child.on('message', (m: WorkerReply) => this.onReply(m));
    child.on('exit', (code, signal) => this.fail(new BackendError(`gradient worker ${index} exited (${signal ?? `code ${code}`})${this.lastLine()}`)));
    child.on('error', (err) => this.fail(new BackendError(`gradient worker ${index}: ${err.message}`)));
  }

  /** The worker's last meaningful stderr line: an uncaught error's message, not Node's version footer or a stack frame. */
  private lastLine(): string {
    const lines = this.stderr.trim().split('\n').filter((l) => l.trim() !== '' && !/^Node\.js v\d/.test(l) && !/^\s+at /.test(l) && !/^\s*[\^]+\s*$/.test(l));
    const line = lines.findLast((l) => /Error\b/.test(l)) ?? lines.pop();
    return line ? `: ${line}` : '';
  }

  private onReply(m: WorkerReply): void {
    if (m.type === 'ready') {
      this.pending.get(-1)?.resolve({ loss: 0, correct: 0 });
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'error') p.reject(new BackendError(`gradient worker ${this.index}: ${m.message}`));
    else p.resolve(m);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Sends `req` and resolves once it is written to the pipe (so the worker can start while this process computes). */
  private send(req: WorkerRequest): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.child.send(req, (err) => (err ? reject(new BackendError(`gradient worker ${this.index}: ${err.message}`)) : resolve()));
    });
  }

  async init(spec: DataParallelSpec, names: string[], sizes: number[], exchange: string, gradAt: number): Promise<void> {
    const ready = new Promise<unknown>((resolve, reject) => this.pending.set(-1, { resolve, reject }));
    await this.send({ type: 'init', model: spec.model, backend: spec.backend, names, sizes, exchange, gradAt });
    await ready;
    this.pending.delete(-1);
  }

  /** Starts one part's gradient (its data already in the exchange file); the outer promise resolves once the request is sent. */
  async request(part: PartAt, labelSmoothing: number): Promise<{ result: Promise<PartResult> }> {
    const id = this.nextId++;
    const result = new Promise<PartResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    result.catch(() => {}); // observed by the caller; never an unhandled rejection meanwhile
    await this.send({ type: 'step', id, part, labelSmoothing });
    return { result }; // wrapped: an async function returning a promise would wait for it
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  close(): void {
    this.failure ??= new BackendError(`gradient worker ${this.index} was closed`);
    if (this.child.connected) this.child.disconnect();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}

/**
 * The worker module beside this one (.ts when run through tsx from the sources, .js from dist) and
 * the Node flags that load it. From the sources the worker needs tsx too, and this process may
 * have registered it in code (bin/dlth.js does, when dist/ is stale) rather than by a flag the
 * child would inherit: then tsx is added by its resolved URL (a bare name would resolve from the
 * user's working directory).
 */
function workerEntry(): { module: URL; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const module = new URL(`./grad-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  const execArgv = [...process.execArgv];
  if (fromSource && !execArgv.some((a) => a.includes('tsx'))) execArgv.push('--import', import.meta.resolve('tsx'));
  return { module, execArgv };
}

/** A started pool: `step` replaces `trainStep`; `close` ends the workers and removes the exchange file (always call it). */
export class DataParallel {
  private readonly grad: Float32Array;

  private constructor(
    readonly processes: number,
    private readonly workers: Worker[],
    private readonly exchange: Exchange,
    private readonly total: number,
  ) {
    this.grad = new Float32Array(total);
  }

  /** Bytes of the parameters at the head of the exchange file, and each worker's gradient region after it. */
  private static gradAt(total: number, worker: number): number {
    return align64(total * 4) * (1 + worker);
  }

  static async start(spec: DataParallelSpec, model: TrainModel, opt: AdamW): Promise<DataParallel> {
    if (!Number.isInteger(spec.processes) || spec.processes < 1 || spec.processes > MAX_DATA_PARALLEL) {
      throw new InputError(`data parallel: processes must be an integer in [1, ${MAX_DATA_PARALLEL}], got ${spec.processes}`);
    }
    if (model.params.length !== opt.layout.names.length) throw new InputError('data parallel: the optimizer does not hold this model\'s parameters');
    const total = opt.layout.total;
    const exchange = Exchange.create();
    const workers: Worker[] = [];
    try {
      exchange.reserve(DataParallel.gradAt(total, spec.processes - 1));
      const entry = workerEntry();
      for (let i = 1; i < spec.processes; i++) {
        const child = fork(entry.module, [], {
          execArgv: entry.execArgv,
          serialization: 'advanced',
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
          env: { ...process.env, TF_NUM_INTRAOP_THREADS: String(spec.threads), TF_NUM_INTEROP_THREADS: '1', TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2', DLTH_QUIET: '1' },
        });
        workers.push(new Worker(i, child));
      }
      await Promise.all(workers.map((w, i) => w.init(spec, [...opt.layout.names], [...opt.layout.sizes], exchange.path, DataParallel.gradAt(total, i))));
    } catch (err) {
      for (const w of workers) w.close();
      exchange.close();
      throw err;
    }
    return new DataParallel(spec.processes, workers, exchange, total);
  }

  /** Writes a batch part after the fixed regions, at `at`; returns where its arrays lie. */
  private writePart(b: HostBatch, at: number): { part: PartAt; end: number } {
    const patchesAt = align64(at);
    const positionsAt = align64(patchesAt + b.patches.byteLength);
    const labelsAt = align64(positionsAt + b.positions.byteLength);
    const targetsAt = align64(labelsAt + b.labels.byteLength);
    const targets = b.targets ?? null;
    const end = targetsAt + (targets?.byteLength ?? 0);
    this.exchange.reserve(end);
    this.exchange.write(patchesAt, b.patches);
    this.exchange.write(positionsAt, b.positions);
    this.exchange.write(labelsAt, b.labels);
    if (targets) this.exchange.write(targetsAt, targets);
    const part: PartAt = { size: b.size, k: b.k, patchesAt, patchBytes: b.patches.byteLength, positionsAt, labelsAt, targetsAt, targetValues: targets?.length ?? 0 };
    return { part, end };
  }

  /** One optimizer step over `batch`, its parts computed side by side. */
  async step(model: TrainModel, opt: AdamW, batch: HostBatch, lr: number, o: StepOptions): Promise<StepResult> {
    if (this.workers.length === 0) return trainStep(model, opt, batch, lr, o);
    const sizes = splitSizes(batch.size, this.processes);
    const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    this.exchange.write(0, opt.paramsHost());
    let at = DataParallel.gradAt(this.total, this.workers.length);
    const requests: Promise<{ result: Promise<PartResult> }>[] = [];
    const busy: number[] = [];
    for (const [i, w] of this.workers.entries()) {
      if (sizes[i + 1] === 0) continue;
      const { part, end } = this.writePart(batchPart(batch, starts[i + 1], sizes[i + 1]), at);
      at = end;
      requests.push(w.request(part, o.labelSmoothing));
      busy.push(i);
    }
    const inFlight = await Promise.all(requests);
    const own = batchGradient(model, opt.layout, batchPart(batch, 0, sizes[0]), o.labelSmoothing);
    const parts: { grad: Float32Array; loss: number; correct: number; n: number }[] = [];
    try {
      const [g, l, c] = await Promise.all([own.flat.data(), own.loss.data(), own.correct.data()]);
      parts.push({ grad: g as Float32Array, loss: l[0], correct: c[0], n: sizes[0] });
    } finally {
      tf.dispose([own.flat, own.loss, own.correct]);
    }
    const results = await Promise.all(inFlight.map((f) => f.result));
    for (const [j, r] of results.entries()) {
      const i = busy[j];
      const grad = j === 0 ? this.grad : new Float32Array(this.total);
      this.exchange.read(DataParallel.gradAt(this.total, i), grad);
      parts.push({ grad, loss: r.loss, correct: r.correct, n: sizes[i + 1] });
    }
    const combined = combineGradients(parts.map((p) => ({ grad: p.grad, weight: p.n / batch.size })), this.total);
    const loss = parts.reduce((s, p) => s + p.loss * p.n, 0) / batch.size;
    const correct = parts.reduce((s, p) => s + p.correct, 0);
    const norm = clipAndUpdate(opt, tf.tensor1d(combined), lr, o.clipNorm);
    try {
      return finishedStep(loss, correct, (await norm.data())[0]);
    } finally {
      norm.dispose();
    }
  }

  /** The worker processes' ids (diagnostics, tests). */
  get workerPids(): number[] {
    return this.workers.flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  }

  /** The exchange file's path (removed by `close`). */
  get exchangePath(): string {
    return this.exchange.path;
  }

  close(): void {
    for (const w of this.workers) w.close();
    this.exchange.close();
  }
}
