/**
 * `train(options)`: trains a ViT from scratch on ticket (or random, or full) datasets through the
 * streaming loader, evaluates each epoch on the evaluation sets, and writes metrics, curves, a
 * safetensors checkpoint, a summary and a resumable state in `options.out` (see outputs.ts).
 * Rerunning with the same options resumes from the saved state and yields the same files as an
 * uninterrupted run (bitwise, on the same backend). The number of optimizer steps depends only on
 * the training rows, batch size and epochs (or `steps`), never on k.
 */
import { availableParallelism } from 'node:os';
import { mkdirp } from '../util/fsx.js';
import { initBackend } from '../backend/init.js';
import { dlthOps } from '../backend/native.js';
import { dlthKernels, nativeKernels } from '../model/layers/native.js';
import { InputError } from '../util/errors.js';
import { throwIfStopped } from '../util/abort.js';
import type { DatasetLocation } from '../loader/store/location.js';
import { fingerprint } from '../util/hash.js';
import { createProgress } from '../util/progress.js';
import { AdamW } from './adamw.js';
import { DataParallel } from './data-parallel.js';
import { fingerprintFields, resolveTrainConfig, type TrainConfig, type TrainOptions } from './config.js';
import { openData, type OpenedData } from './datasets.js';
import { ensureGradients } from './gradients.js';
import { runLoop } from './loop.js';
import { plateaued } from './stop.js';
import { evitAccuracy, type EvitEvalSpec } from './evit-eval.js';
import type { ViT } from '../model/vit.js';
import { emptyMeter } from './metrics.js';
import { checkModelMemory, type ModelCost } from './memory.js';
import { buildModelStoppable } from './model.js';
import { buildSummary, summaryConfig, writeEpochOutputs, writeFinalOutputs, type DatasetRecord, type TrainSummary } from './outputs.js';
import type { ScheduleConfig } from './schedule.js';
import { clearState, loadStateTensors, readStateInfo, type StateInfo } from './state.js';
import type { TicketLoader } from '../loader/loader.js';

function datasetRecord(dirs: readonly DatasetLocation[], loader: TicketLoader): DatasetRecord {
  const m = loader.meta;
  return { dirs: dirs.map((d) => d.display), fingerprints: loader.key.datasets, rows: loader.rows, k: loader.k, policy: m.policy };
}

/** Models from this size take seconds to build (about 10 s per 100M parameters on one core). */
const ANNOUNCED_PARAMETERS = 10_000_000;

/** One line on stderr before a large model is built, unless progress is off. */
function announceBuild(c: TrainConfig, cost: ModelCost): void {
  if (!c.progress || process.env.DLTH_QUIET === '1' || cost.parameters < ANNOUNCED_PARAMETERS) return;
  const gib = (cost.bytes / 1024 ** 3).toFixed(cost.bytes < 1024 ** 3 ? 3 : 1);
  process.stderr.write(`train ${c.model}: building the model, ${cost.parameters.toLocaleString('en-US')} parameters (${gib} GiB with gradients and AdamW moments)\n`);
}

/** What must match for a saved state to be resumed: the computation, not the paths. */
function runFingerprint(c: TrainConfig, data: OpenedData): string {
  const { train: _t, eval: _e, ...rest } = fingerprintFields(c);
  return fingerprint({
    ...rest,
    modelConfig: data.model,
    train: data.train.key.datasets,
    eval: data.evals.map((e) => [e.name, e.loader.key.datasets]),
  });
}

export async function train(options: TrainOptions): Promise<TrainSummary> {
  const c = resolveTrainConfig(options);
  const threads = processThreads(c.dataParallel);
  const backend = await initBackend({ backend: c.backend });
  ensureGradients();
  const data = await openData(c);
  const stepsPerEpoch = data.train.batchesPerEpoch();
  if (stepsPerEpoch === 0) throw new InputError('the training dataset has no rows', { file: c.train.map((l) => l.display).join(', ') });
  const totalSteps = c.steps ?? (c.epochs ?? 1) * stepsPerEpoch;
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const schedule: ScheduleConfig = {
    baseLr: c.lr,
    warmupSteps: Math.round(c.warmupEpochs * stepsPerEpoch),
    totalSteps,
    minLr: c.minLr,
    warmupStartLr: c.warmupLr,
  };
  const fp = runFingerprint(c, data);
  // Before any tensor: a model over the memory limit is refused in one line.
  const cost = checkModelMemory(data.model, c.model, c.maxModelBytes);
  await mkdirp(c.out); // an IoError naming the directory; never loops (under /proc)
  announceBuild(c, cost);
  const { vit, model } = await buildModelStoppable(data.model, c.seed, options.signal, c.weightInit);
  const opt = new AdamW(model.params, { beta1: c.beta1, beta2: c.beta2, eps: 1e-8, weightDecay: c.weightDecay });
  let parallel: DataParallel | null = null;
  try {
    if (c.dataParallel > 1) parallel = await DataParallel.start({ processes: c.dataParallel, model: data.model, backend: backend.backend, threads }, model, opt);
    throwIfStopped(options.signal);
    let st: StateInfo = {
      fingerprint: fp, step: 0, epoch: 0, loader: null, meter: emptyMeter(), samples: 0, lr: 0,
      history: [], timing: [], rng: { seed: c.seed },
    };
    const saved = c.resume ? await readStateInfo(c.out) : null;
    if (!c.resume) await clearState(c.out);
    if (saved) {
      if (saved.fingerprint !== fp) {
        throw new InputError(`${c.out} holds the state of a different run (config or datasets changed); use another output directory or resume: false to start over`, { file: c.out });
      }
      await loadStateTensors(c.out, saved, model.params, opt);
      const { version: _v, tensors: _t, ...info } = saved;
      st = info;
      await writeEpochOutputs(c.out, st.history, st.timing, `${c.model}`);
    }
    const samplesPerEpoch = data.train.samplesPerEpoch();
    const totalSamples = Math.floor(totalSteps / stepsPerEpoch) * samplesPerEpoch + Math.min(samplesPerEpoch, (totalSteps % stepsPerEpoch) * c.batchSize);
    const progress = createProgress({ label: `train ${c.model}`, total: Math.max(0, totalSamples - st.samples), unit: 'samples', quiet: !c.progress });
    try {
      await runLoop(
        {
          out: c.out, title: c.model, model, opt, train: data.train, evals: data.evals, schedule,
          step: { labelSmoothing: c.labelSmoothing, clipNorm: c.clipNorm }, parallel,
          epochs, stopWhen: c.stopWhen, evalEvery: c.evalEvery, checkpointEvery: c.checkpointEvery, progress, signal: options.signal, onStep: options.onStep,
        },
        st,
      );
    } catch (err) {
      progress.done(`stopped at step ${st.step}`);
      throw err;
    }
    const config = summaryConfig(c);
    const summary = buildSummary(
      {
        model: c.model, modelConfig: data.model,
        parameters: model.params.reduce((n, p) => n + p.variable.size, 0),
        steps: st.step, stepsPerEpoch, samplesSeen: st.samples,
        datasets: {
          train: datasetRecord(c.train, data.train),
          eval: Object.fromEntries(data.evals.map((e, i) => [e.name, datasetRecord(c.eval[i].dirs, e.loader)])),
        },
        config, backend: backend.backend, ...layerKernels(backend.backend), stoppedEarly: st.step < totalSteps && plateaued(st.history, c.stopWhen),
      },
      st.history,
    );
    if (c.evitEval) summary.evit = await evitAccuracies(vit, data, c.evitEval, options.signal);
    await writeFinalOutputs(c.out, vit, summary);
    progress.done(`${st.step} steps`);
    return summary;
  } finally {
    parallel?.close();
    opt.dispose();
    vit.dispose();
  }
}

/** `kernels` of the summary: which kernels computed the layers on the native CPU backend. */
function layerKernels(backend: string): { kernels?: string } {
  if (backend !== 'tensorflow' || !nativeKernels()) return {};
  const ops = dlthOps();
  return { kernels: dlthKernels() && ops?.ok ? `dlth (${ops.isa})` : 'tensorflow' };
}

/**
 * TensorFlow threads of each process of a data-parallel run: TF_NUM_INTRAOP_THREADS when set, else
 * the cores divided among the processes (set here for this process, before its runtime starts; a
 * runtime already started keeps its own).
 */
function processThreads(processes: number): number {
  const set = Number.parseInt(process.env.TF_NUM_INTRAOP_THREADS ?? '', 10);
  if (Number.isSafeInteger(set) && set > 0) return set;
  const threads = Math.max(1, Math.floor(availableParallelism() / processes));
  if (processes > 1) process.env.TF_NUM_INTRAOP_THREADS = String(threads);
  return threads;
}

/** EViT accuracy per full-grid evaluation set and rate (sets with fewer patches are skipped). */
async function evitAccuracies(vit: ViT, data: OpenedData, spec: EvitEvalSpec, signal?: AbortSignal): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const e of data.evals.filter((x) => x.loader.k === vit.grid.numPatches)) {
    out[e.name] = {};
    for (const r of spec.rates) out[e.name][String(r)] = await evitAccuracy(vit, e.loader, r, spec.blocks, signal);
  }
  return out;
}
