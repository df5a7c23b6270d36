/**
 * The per-epoch records of a run (the lines of `metrics.jsonl`) and of its timing (`timing.jsonl`).
 * Metrics are deterministic (no clock values), so two runs with the same config and backend can be
 * compared byte for byte; everything that depends on the clock goes to the timing records.
 */
import type { MeterSummary } from './metrics.js';

export interface LossAcc {
  loss: number;
  acc: number;
}

export interface EpochRecord {
  epoch: number;
  /** Optimizer updates taken at the end of this epoch. */
  step: number;
  /** Training samples seen at the end of this epoch. */
  samples: number;
  /** Learning rate of the epoch's last update. */
  lr: number;
  train: LossAcc;
  /** One entry per evaluation dataset, by name. */
  eval: Record<string, LossAcc>;
}

export interface TimingRecord {
  epoch: number;
  trainSec: number;
  evalSec: number;
  samplesPerSec: number;
}

export function lossAcc(s: MeterSummary): LossAcc {
  return { loss: s.loss, acc: s.acc };
}

/** JSON lines, one record a line, keys in a fixed order; non-finite numbers become null. */
export function toJsonl(records: readonly object[]): string {
  return records.map((r) => `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`).join('');
}

export interface EvalSummary {
  final: LossAcc;
  best: LossAcc & { epoch: number };
}

/** Final and best (highest accuracy, earliest on ties) result of each evaluation dataset. */
export function summarizeEvals(history: readonly EpochRecord[]): Record<string, EvalSummary> {
  const out: Record<string, EvalSummary> = {};
  for (const rec of history) {
    for (const [name, r] of Object.entries(rec.eval)) {
      const prev = out[name];
      const best = !prev || r.acc > prev.best.acc ? { ...r, epoch: rec.epoch } : prev.best;
      out[name] = { final: r, best };
    }
  }
  return out;
}
