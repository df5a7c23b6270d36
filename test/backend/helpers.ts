import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** Where tfjs-node's loader looks for its binding (node-pre-gyp `find`), or undefined if not installed. */
export function nativeBindingPath(): string | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    return undefined;
  }
  const preGyp = require(require.resolve('@mapbox/node-pre-gyp', { paths: [dirname(pkgJson)] })) as {
    find(packageJson: string): string;
  };
  return preGyp.find(pkgJson);
}

/** True when the native binding file exists: then the native backend must work, or tests fail. */
export function nativeBuilt(): boolean {
  const p = nativeBindingPath();
  return p !== undefined && existsSync(p);
}

export const NATIVE_SKIP = 'native binding not built (run `bash scripts/setup-native.sh`)';

/** Deterministic values in [-1, 1) from a small LCG. */
export function lcg(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The per-image result of an EViT scoring pass, as the backend parity tests compare it. */
export interface ScoredImage {
  rank: ArrayLike<number>;
  scores: ArrayLike<number>;
  survivors: number;
}

/** Worst relative score difference of `got` from `want`, over every patch. */
export function worstRelative(got: ScoredImage, want: ScoredImage): number {
  let worst = 0;
  for (let p = 0; p < want.scores.length; p++) {
    const w = want.scores[p];
    worst = Math.max(worst, Math.abs(got.scores[p] - w) / Math.max(Math.abs(w), 1e-12));
  }
  return worst;
}

/** Positions in `a`'s ticket but not `b`'s whose score is not within `tol` of `b`'s cut-off score. */
export function clearTicketDifferences(a: ScoredImage, b: ScoredImage, tol: number): number[] {
  const inB = new Set(Array.from(b.rank).slice(0, b.survivors));
  const cut = b.scores[b.rank[b.survivors - 1]];
  return Array.from(a.rank)
    .slice(0, a.survivors)
    .filter((p) => !inB.has(p) && Math.abs(a.scores[p] - cut) > tol * cut);
}

/** Ticket patches of `a` that `b` lacks (near-ties included). */
export function ticketDifference(a: ScoredImage, b: ScoredImage): number {
  const inB = new Set(Array.from(b.rank).slice(0, b.survivors));
  return Array.from(a.rank).slice(0, a.survivors).filter((p) => !inB.has(p)).length;
}
