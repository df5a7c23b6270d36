/** Shared test helpers: available backends, fixture loading, tolerance comparison. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'parity');

/** Every backend that initialises here: cpu always, wasm, and native `tensorflow` when it loads. */
export async function availableBackends(): Promise<string[]> {
  const out: string[] = [];
  for (const b of ['cpu', 'wasm', 'tensorflow'] as const) {
    try {
      const info = await initBackend({ backend: b });
      out.push(info.backend);
    } catch {
      // not available on this machine
    }
  }
  return out;
}

/** max |a − b| / max |b| (max |a − b| where b is all zeros). */
export function relErr(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

export async function useBackend(name: string): Promise<void> {
  const backend = name === 'cpu' || name === 'wasm' || name === 'tensorflow' ? name : 'auto';
  await initBackend({ backend });
  if (tf.getBackend() !== name) await tf.setBackend(name);
}

export interface ParityFixture {
  name: string;
  kind: 'vit' | 'deit';
  hfConfig: Record<string, unknown>;
  mean: number[];
  std: number[];
  prefix: number;
  files: { hf?: string; timm?: string };
  prng: { seed: number; keys?: [string, number[]][] };
  patchesShape: [number, number, number];
  patches: number[];
  logitsShape: [number, number];
  logits: number[];
  clsAttention: number[][];
}

export function loadFixture(name: string): ParityFixture {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as ParityFixture;
}

export interface Comparison {
  maxAbs: number;
  /** max |a − b| / (|b| + floor), floor = 1e-2 · max|b| (relative error that ignores values near 0). */
  maxRel: number;
  ok: boolean;
}

/** |a − b| ≤ rtol·(|b| + 0.01·max|b|) elementwise: relative, with an absolute floor at 1% of the scale. */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4): Comparison {
  if (actual.length !== expected.length) return { maxAbs: Infinity, maxRel: Infinity, ok: false };
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const floor = 0.01 * scale;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]);
    maxAbs = Math.max(maxAbs, e);
    maxRel = Math.max(maxRel, e / (Math.abs(expected[i]) + floor));
  }
  return { maxAbs, maxRel, ok: maxRel <= rtol };
}
