/**
 * Early stopping on a plateau: a run stops once evaluation set `rule.eval` has gone `rule.patience`
 * epochs without a new best accuracy (strictly higher than every earlier epoch). Decided from the
 * recorded history alone, so a resumed run stops exactly where an uninterrupted one did.
 */
import type { StopRule } from './config.js';
import type { EpochRecord } from './history.js';

/** Whether the history has plateaued under `rule` (never for a null rule or an empty history). */
export function plateaued(history: readonly EpochRecord[], rule: StopRule | null): boolean {
  if (rule === null || history.length === 0) return false;
  let best = -Infinity;
  let bestAt = 0;
  history.forEach((rec, i) => {
    const acc = rec.eval[rule.eval]?.acc ?? Number.NaN;
    if (acc > best) [best, bestAt] = [acc, i];
  });
  return history.length - 1 - bestAt >= rule.patience;
}
