/**
 * `random`: a uniformly random k-subset per sample from a generator keyed by (seed, id) — partial
 * Fisher–Yates over [0, N): for i in 0..k-1 swap a[i] with a[i + below(N - i)] — then sorted
 * ascending. Scores NaN. Independent of order, concurrency and partitioning.
 */
import { sampleRng } from './prng.js';
import type { PolicyContext, PatchSelection } from './types.js';

export function randomPolicy(ctx: PolicyContext): PatchSelection {
  const rng = sampleRng(ctx.seed, ctx.id);
  const a = new Uint16Array(ctx.n);
  for (let i = 0; i < ctx.n; i++) a[i] = i;
  for (let i = 0; i < ctx.k; i++) {
    const j = i + rng.below(ctx.n - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  const positions = a.slice(0, ctx.k).sort();
  return { positions, scores: new Float32Array(ctx.k).fill(NaN) };
}
