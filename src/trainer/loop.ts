/**
 * The epoch loop: train batches from the loader position in the state, evaluate every evaluation
 * set at the end of each epoch, record, save the state and rewrite the outputs. The state is also
 * saved every `checkpointEvery` steps and when the run is stopped (SIGINT/SIGTERM), so a rerun
 * continues from the last step, computing exactly what an uninterrupted run would have. With a
 * stop rule, the loop ends once the monitored accuracy has plateaued (stop.ts).
 */
import type { TicketLoader } from '../loader/loader.js';
import { InterruptedError } from '../util/errors.js';
import { throwIfStopped } from '../util/abort.js';
import type { Progress } from '../util/progress.js';
import type { AdamW } from './adamw.js';
import type { DataParallel } from './data-parallel.js';
import type { StepInfo, StopRule } from './config.js';
import { plateaued } from './stop.js';
import { evaluate } from './evaluate.js';
import { lossAcc, type EpochRecord, type LossAcc } from './history.js';
import { addBatch, emptyMeter, summarize } from './metrics.js';
import { writeEpochOutputs } from './outputs.js';
import { learningRate, type ScheduleConfig } from './schedule.js';
import { saveState, type StateInfo } from './state.js';
import { trainStep, type StepOptions, type TrainModel } from './step.js';

export interface LoopContext {
  out: string;
  title: string;
  model: TrainModel;
  opt: AdamW;
  train: TicketLoader;
  evals: { name: string; loader: TicketLoader }[];
  schedule: ScheduleConfig;
  step: StepOptions;
  /** Steps shared with worker processes (data-parallel.ts); null: this process alone. */
  parallel: DataParallel | null;
  epochs: number;
  /** Stop early on a plateau of one evaluation set's accuracy (stop.ts). */
  stopWhen: StopRule | null;
  /** Evaluate after every this many epochs and after the last. */
  evalEvery: number;
  checkpointEvery: number;
  progress: Progress;
  signal?: AbortSignal;
  onStep?: (info: StepInfo) => void;
}

/** Runs from `st` to the last step; `st` is updated in place and saved as the run goes. */
export async function runLoop(ctx: LoopContext, st: StateInfo): Promise<void> {
  const save = (): Promise<void> => saveState(ctx.out, ctx.model.params, ctx.opt, st);
  // An epoch in progress (loader not null) is finished and recorded even when no steps remain.
  while (st.epoch < ctx.epochs && (st.step < ctx.schedule.totalSteps || st.loader !== null) && !plateaued(st.history, ctx.stopWhen)) {
    const t0 = performance.now();
    const before = st.meter.seen;
    let trainSec = 0;
    const evals: Record<string, LossAcc> = {};
    try {
      await trainEpoch(ctx, st, save);
      trainSec = (performance.now() - t0) / 1000;
      const last = st.epoch + 1 === ctx.epochs || st.step >= ctx.schedule.totalSteps;
      for (const e of (st.epoch + 1) % ctx.evalEvery === 0 || last ? ctx.evals : []) {
        ctx.progress.tick(0, `epoch ${st.epoch + 1}: evaluating ${e.name}`);
        evals[e.name] = await evaluate(ctx.model, e.loader, ctx.signal);
      }
    } catch (err) {
      if (err instanceof InterruptedError) await save();
      throw err;
    }
    const evalSec = (performance.now() - t0) / 1000 - trainSec;
    const record: EpochRecord = { epoch: st.epoch + 1, step: st.step, samples: st.samples, lr: st.lr, train: lossAcc(summarize(st.meter)), eval: evals };
    st.history.push(record);
    st.timing.push({ epoch: st.epoch + 1, trainSec, evalSec, samplesPerSec: (st.meter.seen - before) / Math.max(trainSec, 1e-9) });
    st.epoch += 1;
    st.loader = null;
    st.meter = emptyMeter();
    await save();
    await writeEpochOutputs(ctx.out, st.history, st.timing, ctx.title);
    const accs = Object.entries(evals).map(([n, r]) => `${n} ${(r.acc * 100).toFixed(1)}%`);
    ctx.progress.tick(0, `epoch ${record.epoch}/${ctx.epochs} loss ${record.train.loss.toFixed(3)} ${accs.join(' ')}`);
  }
}

async function trainEpoch(ctx: LoopContext, st: StateInfo, save: () => Promise<void>): Promise<void> {
  const k = ctx.train.k;
  for await (const b of ctx.train.batches(st.epoch, st.loader ?? undefined)) {
    throwIfStopped(ctx.signal);
    const lr = learningRate(st.step, ctx.schedule);
    const batch = { size: b.size, k, patches: b.patches, positions: b.positions, labels: b.labels, targets: b.targets };
    const r = ctx.parallel ? await ctx.parallel.step(ctx.model, ctx.opt, batch, lr, ctx.step) : await trainStep(ctx.model, ctx.opt, batch, lr, ctx.step);
    st.step += 1;
    st.samples += b.size;
    st.lr = lr;
    st.meter = addBatch(st.meter, r.loss, r.correct, b.size);
    st.loader = b.state;
    ctx.progress.tick(b.size, `epoch ${st.epoch + 1}/${ctx.epochs} loss ${r.loss.toFixed(3)} lr ${lr.toExponential(2)}`);
    ctx.onStep?.({ step: st.step, epoch: st.epoch, loss: r.loss, lr });
    if (ctx.checkpointEvery > 0 && st.step % ctx.checkpointEvery === 0) await save();
    if (st.step >= ctx.schedule.totalSteps) break;
  }
}
