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
