/**
 * The parity fixtures' counter-based PRNG, bit-identical to `prng_values` / `init_rule` in
 * scripts/parity/make_fixtures.py: value = base + scale·u, u = (fmix32(i·0x9E3779B1 + (j+1)·0x85EBCA77 + seed) >>> 8) / 2^24 · 2 − 1.
 */
import { mix32 as fmix32 } from '../../src/loader/rng.js';
import type { StateDict } from '../../src/model/safetensors.js';

export function prngValues(seed: number, keyIndex: number, n: number, base: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  const off = (Math.imul(keyIndex + 1, 0x85ebca77) + seed) >>> 0;
  for (let i = 0; i < n; i++) {
    const x = (Math.imul(i, 0x9e3779b1) + off) >>> 0;
    const u = ((fmix32(x) >>> 8) / 16777216) * 2 - 1;
    out[i] = base + scale * u;
  }
  return out;
}

export function initRule(key: string): [number, number] {
  if (/(layernorm[a-z_]*|norm\d?)\.weight$/.test(key)) return [1, 0.5];
  if (/(cls_token|distillation_token|position_embeddings)$/.test(key)) return [0, 0.5];
  return [0, 0.1];
}

/** The state dict the Python script loaded into the HF model, rebuilt from its key list. */
export function prngStateDict(keys: [string, number[]][], seed: number): StateDict {
  const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const sd: StateDict = new Map();
  sorted.forEach(([key, shape], j) => {
    const [base, scale] = initRule(key);
    sd.set(key, { shape, data: prngValues(seed, j, shape.reduce((a, b) => a * b, 1), base, scale) });
  });
  return sd;
}
