/**
 * The per-sample generator of random tickets, specified exactly (schemas/README.md) so any
 * language can reproduce it: seed bytes = sha256(utf8("dlth/random/v1:" + seed + ":" + id));
 * state = the first four little-endian uint32 words; generator = xoshiro128**.
 */
import { createHash } from 'node:crypto';

export class Xoshiro128 {
  private s: Uint32Array;

  constructor(state: Uint32Array) {
    this.s = Uint32Array.from(state);
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  /** The next uint32. */
  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform integer in [0, bound) by rejection (unbiased). */
  below(bound: number): number {
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const x = this.next();
      if (x < limit) return x % bound;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function sampleRng(seed: number, id: string): Xoshiro128 {
  const digest = createHash('sha256').update(`dlth/random/v1:${seed}:${id}`, 'utf8').digest();
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) state[i] = digest.readUInt32LE(4 * i);
  return new Xoshiro128(state);
}
