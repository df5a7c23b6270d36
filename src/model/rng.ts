/** Deterministic host-side random numbers for weight initialisation (independent of the backend). */

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same stream on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal(0, std) truncated to [−2·std, 2·std] by resampling (torch.nn.init.trunc_normal_ with a=−2σ, b=2σ as timm uses it). */
export function truncNormal(n: number, std: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z: number;
    do {
      const u1 = Math.max(rand(), 1e-12);
      z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
    } while (z < -2 || z > 2);
    out[i] = z * std;
  }
  return out;
}

export function uniform(n: number, bound: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * bound;
  return out;
}
