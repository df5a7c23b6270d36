/**
 * Seeded randomness for the loader. Every random decision derives from explicit integers
 * (seed, epoch, a purpose salt, a sample id) through a 32-bit mixing hash, then a small PRNG:
 * the same inputs give the same numbers on every platform (only 32-bit integer arithmetic).
 */

/** Finaliser of murmur3: a bijective 32-bit mix. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines integers (each may be up to 2^53) into one 32-bit key. */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    const lo = v >>> 0;
    const hi = Math.floor(v / 0x100000000) >>> 0;
    h = mix32(h ^ mix32(lo + 0x6a09e667));
    h = mix32(h ^ mix32(hi + 0xbb67ae85));
  }
  return h;
}

/** FNV-1a over the UTF-16 code units of `s`, then mixed. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/**
 * Purposes, so that two decisions with the same (seed, epoch) are independent. 16–18 are the token
 * augmentations' (augment/tokens.ts, augment/mix.ts); 19 picks a view, 20 draws a view's crop (src/views/).
 */
export const Salt = { ShardOrder: 1, Rows: 2, Block: 3, Flip: 4, Subset: 5, View: 19, ViewCrop: 20 } as const;

/** sfc32: a fast 32-bit PRNG with a 128-bit state. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(key: number) {
    this.a = mix32(key ^ 0x243f6a88);
    this.b = mix32(key ^ 0x85a308d3);
    this.c = mix32(key ^ 0x13198a2e);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n), n ≤ 2^32, without modulo bias. */
  below(n: number): number {
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.next();
      if (x < limit) return x % n;
    }
  }
}

/** Fisher–Yates shuffle of `a[start, end)` in place. */
export function shuffleRange(a: Uint32Array, start: number, end: number, rng: Rng): void {
  for (let i = end - 1; i > start; i--) {
    const j = start + rng.below(i - start + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** The permutation 0 … n−1 shuffled. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  shuffleRange(a, 0, n, rng);
  return a;
}
