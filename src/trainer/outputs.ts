/**
 * The run's files in `out/`: `metrics.jsonl` (deterministic per-epoch records), `timing.jsonl`
 * (clock-dependent), `curves.png`, and at the end `model.safetensors` and `summary.json`. Each is
 * rewritten whole and atomically from the state's history, so after any crash and resume they agree
 * with the saved state.
 */
import { join } from 'node:path';
import { saveCheckpoint } from '../model/checkpoint.js';
import type { ViT } from '../model/vit.js';
import type { ViTConfig } from '../model/configs.js';
import { writeFileAtomic } from '../util/fsx.js';
import type { TrainConfig } from './config.js';
import { writeCurves } from './curves.js';
import { summarizeEvals, toJsonl, type EpochRecord, type EvalSummary, type LossAcc, type TimingRecord } from './history.js';

export const OUTPUT_FILES = {
  metrics: 'metrics.jsonl',
  timing: 'timing.jsonl',
  curves: 'curves.png',
  model: 'model.safetensors',
  summary: 'summary.json',
} as const;

/** What a training summary records of a dataset it read (locations shown without credentials). */
export interface DatasetRecord {
  dirs: string[];
  /** Manifest fingerprints, in loader order. */
  fingerprints: string[];
  rows: number;
  k: number;
  policy: string | null;
}

export interface TrainSummary {
  model: string;
  modelConfig: ViTConfig;
  parameters: number;
  epochs: number;
  steps: number;
  stepsPerEpoch: number;
  samplesSeen: number;
  train: LossAcc | null;
  eval: Record<string, EvalSummary>;
  datasets: { train: DatasetRecord; eval: Record<string, DatasetRecord> };
  config: SummaryConfig;
  backend: string;
  /**
   * What computed LayerNorm, GELU and attention on the native CPU backend: `dlth (<instruction
   * sets>)` for dlth's own kernels, `tensorflow` for TensorFlow's ops (DLTH_NATIVE_OPS=0, or not
   * built). Results differ between the two by float rounding. Absent on other backends.
   */
  kernels?: string;
  /** True when the run ended on a plateau of `config.stopWhen` before its last epoch. */
  stoppedEarly: boolean;
  /** With `config.evitEval`: final accuracy of the model run as EViT, by evaluation set, then rate. */
  evit?: Record<string, Record<string, number>>;
}

/** The run's config as recorded: machine settings left out, dataset locations in their display form. */
export type SummaryConfig = Omit<TrainConfig, 'out' | 'resume' | 'progress' | 'backend' | 'maxModelBytes' | 'train' | 'eval'> & {
  train: string[];
  eval: { name: string; dirs: string[] }[];
};

export function summaryConfig(c: TrainConfig): SummaryConfig {
  const { out: _o, resume: _r, progress: _p, backend: _b, maxModelBytes: _m, ...config } = c;
  return {
    ...config,
    train: c.train.map((l) => l.display),
    eval: c.eval.map((e) => ({ name: e.name, dirs: e.dirs.map((l) => l.display) })),
  };
}

export async function writeEpochOutputs(out: string, history: readonly EpochRecord[], timing: readonly TimingRecord[], title: string): Promise<void> {
  await writeFileAtomic(join(out, OUTPUT_FILES.metrics), toJsonl(history));
  await writeFileAtomic(join(out, OUTPUT_FILES.timing), toJsonl(timing));
  if (history.length > 0) await writeCurves(history, title, join(out, OUTPUT_FILES.curves));
}

export type SummaryInput = Omit<TrainSummary, 'eval' | 'train' | 'epochs'>;

export function buildSummary(input: SummaryInput, history: readonly EpochRecord[]): TrainSummary {
  const last = history[history.length - 1];
  return { ...input, epochs: history.length, train: last ? last.train : null, eval: summarizeEvals(history) };
}

export async function writeFinalOutputs(out: string, vit: ViT, summary: TrainSummary): Promise<void> {
  await saveCheckpoint(join(out, OUTPUT_FILES.model), vit);
  await writeFileAtomic(join(out, OUTPUT_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
}
