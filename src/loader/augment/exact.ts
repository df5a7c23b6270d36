/**
 * Random draws and float maths that give the same bits in TypeScript and Python
 * (python/dlth/token_augment.py mirrors every function here). Every value is a float32: each
 * operation is one IEEE operation rounded to float32 (Math.fround here, numpy float32 scalars
 * there; a double operation on two float32 values rounded to float32 is the float32 operation).
 * No Math.log/exp/cos (their last bits are not specified across platforms): the logarithm and
 * exponential below use only +, −, ×, ÷, comparisons and exact scaling by 2, in a fixed order.
 */
import type { Rng } from '../rng.js';

export const f = Math.fround;

/** float32(ln 2), float32(1 / ln 2). */
const LN2 = 0.6931471824645996;
const INV_LN2 = 1.4426950216293335;

/** A uniform float32 in [0, 1): the top 24 bits of one draw, exactly. */
export function uniform(rng: Rng): number {
  return (rng.next() >>> 8) * 2 ** -24;
}

/** A uniform float32 in (0, 1): the top 23 bits of one draw plus ½, exactly. */
export function uniformOpen(rng: Rng): number {
  return ((rng.next() >>> 9) + 0.5) * 2 ** -23;
}

/** lo + (hi − lo)·u, u uniform in [0, 1), in float32. */
export function uniformIn(rng: Rng, lo: number, hi: number): number {
  return f(lo + f(f(hi - lo) * uniform(rng)));
}

/** The natural logarithm of a float32 x > 0: x = m·2^e with m in [1, 2), then 2·atanh((m−1)/(m+1)) as a series. */
export function log32(x: number): number {
  let m = f(x);
  let e = 0;
  while (m >= 2) {
    m = f(m * 0.5);
    e++;
  }
  while (m < 1) {
    m = f(m * 2);
    e--;
  }
  const s = f(f(m - 1) / f(m + 1));
  const s2 = f(s * s);
  let p = f(2 / 13);
  for (const c of [2 / 11, 2 / 9, 2 / 7, 2 / 5, 2 / 3, 2]) p = f(f(c) + f(s2 * p));
  return f(f(e * LN2) + f(s * p));
}

/** e^x in float32 (x clamped to [−87, 88]): x = n·ln 2 + r, a Taylor polynomial of r, then n exact doublings or halvings. */
export function exp32(x: number): number {
  const y = Math.min(88, Math.max(-87, f(x)));
  const n = Math.floor(f(f(y * INV_LN2) + 0.5));
  const r = f(y - f(n * LN2));
  let p = f(1);
  for (let i = 10; i >= 1; i--) p = f(1 + f(f(r * p) / i));
  for (let i = 0; i < n; i++) p = f(p * 2);
  for (let i = 0; i > n; i--) p = f(p * 0.5);
  return p;
}

/** A standard normal float32 (Marsaglia's polar method; the second value is not kept). */
export function normal(rng: Rng): number {
  for (;;) {
    const u = f(f(2 * uniform(rng)) - 1);
    const v = f(f(2 * uniform(rng)) - 1);
    const s = f(f(u * u) + f(v * v));
    if (s >= 1 || s === 0) continue;
    return f(u * f(Math.sqrt(f(f(-2 * log32(s)) / s))));
  }
}

/** A Gamma(a, 1) float32 (Marsaglia–Tsang; for a < 1, Gamma(a + 1)·U^(1/a)). */
export function gamma(rng: Rng, a: number): number {
  if (a < 1) {
    const g = gamma(rng, f(a + 1));
    return f(g * exp32(f(log32(uniformOpen(rng)) / a)));
  }
  const d = f(a - f(1 / 3));
  const c = f(1 / f(Math.sqrt(f(9 * d))));
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = f(1 + f(c * x));
    } while (v <= 0);
    v = f(f(v * v) * v);
    const u = uniformOpen(rng);
    const x2 = f(x * x);
    if (u < f(1 - f(f(0.0331) * f(x2 * x2)))) return f(d * v);
    if (log32(u) < f(f(0.5 * x2) + f(d * f(f(1 - v) + log32(v))))) return f(d * v);
  }
}

/** A Beta(a, a) float32: X / (X + Y) of two Gamma(a) draws (½ if both underflow to 0). */
export function beta(rng: Rng, a: number): number {
  const x = gamma(rng, a);
  const y = gamma(rng, a);
  const s = f(x + y);
  return s === 0 ? 0.5 : f(x / s);
}

/** A float32 in [0, 255] rounded to the nearest byte: floor(clamp(v) + ½) in float32. */
export function toByte(v: number): number {
  return Math.floor(f(Math.min(255, Math.max(0, v)) + 0.5));
}

/** round(v) for v ≥ 0 as floor(v + ½) in float32 (an integer). */
export function roundHalfUp(v: number): number {
  return Math.floor(f(v + 0.5));
}
