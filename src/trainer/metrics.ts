/**
 * Running loss and accuracy over an epoch or an evaluation pass. Sums are plain JS doubles added in
 * batch order, so they are deterministic and can be saved in the training state and resumed.
 */
export interface MeterState {
  /** Sum over batches of (mean batch loss × batch size). */
  lossSum: number;
  correct: number;
  seen: number;
}

export interface MeterSummary {
  loss: number;
  acc: number;
  samples: number;
}

export function emptyMeter(): MeterState {
  return { lossSum: 0, correct: 0, seen: 0 };
}

/** Adds one batch: its mean loss, number of correct predictions and size. */
export function addBatch(m: MeterState, meanLoss: number, correct: number, size: number): MeterState {
  return { lossSum: m.lossSum + meanLoss * size, correct: m.correct + correct, seen: m.seen + size };
}

export function summarize(m: MeterState): MeterSummary {
  return {
    loss: m.seen > 0 ? m.lossSum / m.seen : Number.NaN,
    acc: m.seen > 0 ? m.correct / m.seen : Number.NaN,
    samples: m.seen,
  };
}
