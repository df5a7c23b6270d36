/**
 * Resampling of absolute position embeddings to another patch grid, like timm's
 * `resample_abs_pos_embed`: the prefix rows (CLS, distillation) are kept, the grid rows are
 * interpolated bicubically (PyTorch `F.interpolate(mode='bicubic', align_corners=False)`, a = −0.75,
 * border-clamped). Difference: when shrinking, timm also antialiases (`antialias=True`); we do not.
 */
import type { HostTensor } from './safetensors.js';

const A = -0.75;
function cubic(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 1) return ((A + 2) * ax - (A + 3)) * ax * ax + 1;
  if (ax < 2) return ((A * ax - 5 * A) * ax + 8 * A) * ax - 4 * A;
  return 0;
}

/** Taps (indices, weights) for each output coordinate of a 1-D bicubic resize. */
function taps(inSize: number, outSize: number): { idx: number[]; w: number[] }[] {
  const scale = inSize / outSize;
  const out: { idx: number[]; w: number[] }[] = [];
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const f = Math.floor(src);
    const t = src - f;
    const idx = [-1, 0, 1, 2].map((k) => Math.min(inSize - 1, Math.max(0, f + k)));
    out.push({ idx, w: [cubic(t + 1), cubic(t), cubic(1 - t), cubic(2 - t)] });
  }
  return out;
}

/** Bicubic resize of a [h, w, d] grid (row-major, channels last) to [oh, ow, d]. */
export function resizeGrid(data: Float32Array, h: number, w: number, d: number, oh: number, ow: number): Float32Array {
  const ty = taps(h, oh);
  const tx = taps(w, ow);
  const rows = new Float64Array(oh * w * d); // vertical pass
  for (let y = 0; y < oh; y++) {
    for (let k = 0; k < 4; k++) {
      const src = ty[y].idx[k] * w * d;
      const wt = ty[y].w[k];
      for (let i = 0; i < w * d; i++) rows[y * w * d + i] += wt * data[src + i];
    }
  }
  const out = new Float32Array(oh * ow * d);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let k = 0; k < 4; k++) {
        const src = (y * w + tx[x].idx[k]) * d;
        const wt = tx[x].w[k];
        for (let c = 0; c < d; c++) out[(y * ow + x) * d + c] += wt * rows[src + c];
      }
    }
  }
  return out;
}

/**
 * pos_embed [1, prefix + h·w, D] → [1, prefix + oh·ow, D]. `from` is the source grid; pass it
 * when it is not square (a square grid is inferred otherwise).
 */
export function resamplePosEmbed(t: HostTensor, prefix: number, to: [number, number], from?: [number, number]): HostTensor {
  const d = t.shape[2];
  const n = t.shape[1] - prefix;
  const side = Math.round(Math.sqrt(n));
  const [h, w] = from ?? [side, side];
  if (h * w !== n) throw new RangeError(`pos_embed has ${n} grid rows, not a ${h}×${w} grid`);
  const [oh, ow] = to;
  if (oh === h && ow === w) return t;
  const grid = resizeGrid(t.data.subarray(prefix * d), h, w, d, oh, ow);
  const out = new Float32Array((prefix + oh * ow) * d);
  out.set(t.data.subarray(0, prefix * d));
  out.set(grid, prefix * d);
  return { shape: [1, prefix + oh * ow, d], data: out };
}
