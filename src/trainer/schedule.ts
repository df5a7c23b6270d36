/**
 * Learning-rate schedule: linear warmup then cosine decay, a pure function of the optimizer step
 * (so a resumed run computes exactly the same rates). Step s is the (0-based) index of the update
 * about to be applied.
 */
export interface ScheduleConfig {
  /** Peak learning rate reached at the end of warmup. */
  baseLr: number;
  /** Updates of linear warmup from `warmupStartLr` to `baseLr`. */
  warmupSteps: number;
  /** Total updates of the run; the cosine reaches `minLr` at this step. */
  totalSteps: number;
  /** Floor of the cosine (timm's `min_lr`). */
  minLr: number;
  /** Rate at step 0 of warmup (timm's `warmup_lr`). */
  warmupStartLr: number;
}

/** The learning rate of update `step` (0-based). */
export function learningRate(step: number, c: ScheduleConfig): number {
  if (step < c.warmupSteps) {
    return c.warmupStartLr + ((c.baseLr - c.warmupStartLr) * step) / c.warmupSteps;
  }
  const span = c.totalSteps - c.warmupSteps;
  if (span <= 0) return c.baseLr;
  const t = Math.min(1, (step - c.warmupSteps) / span);
  return c.minLr + 0.5 * (c.baseLr - c.minLr) * (1 + Math.cos(Math.PI * t));
}
