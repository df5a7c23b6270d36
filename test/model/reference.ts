/**
 * A plain-JS float64 ViT forward (one sample, explicit token list), written from the definitions
 * and independent of TF.js: the reference for kept-token tests. Parameters in timm naming and
 * PyTorch layout (from `toTimmStateDict`).
 */
import type { ViTConfig } from '../../src/model/configs.js';
import type { StateDict } from '../../src/model/safetensors.js';

type Vec = number[];

function linear(sd: StateDict, name: string, x: Vec): Vec {
  const w = sd.get(`${name}.weight`);
  const b = sd.get(`${name}.bias`);
  if (!w) throw new Error(`missing ${name}`);
  const [out, inp] = w.shape;
  const y: Vec = [];
  for (let o = 0; o < out; o++) {
    let s = b ? b.data[o] : 0;
    for (let i = 0; i < inp; i++) s += w.data[o * inp + i] * x[i];
    y.push(s);
  }
  return y;
}

function layerNorm(sd: StateDict, name: string, x: Vec, eps: number): Vec {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  const v = x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
  const w = sd.get(`${name}.weight`)?.data ?? [];
  const b = sd.get(`${name}.bias`)?.data ?? [];
  return x.map((xi, i) => ((xi - m) / Math.sqrt(v + eps)) * w[i] + b[i]);
}

function erf(x: number): number {
  // Maclaurin series, exact to double precision for |x| ≤ 5 (enough here)
  if (Math.abs(x) > 5) return Math.sign(x);
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** Logits and per-layer head-averaged CLS → non-prefix attention for one sample. */
export function referenceForward(c: ViTConfig, sd: StateDict, patches: number[][], positions: number[]): { logits: Vec; clsAttention: Vec[] } {
  const d = c.dim;
  const prefix = (c.classToken ? 1 : 0) + (c.distilled ? 1 : 0);
  const pos = sd.get('pos_embed')?.data ?? new Float32Array();
  const row = (r: number): Vec => Array.from(pos.subarray(r * d, (r + 1) * d));
  const conv = sd.get('patch_embed.proj.weight');
  const convB = sd.get('patch_embed.proj.bias');
  if (!conv || !convB) throw new Error('missing patch_embed');
  const p = c.patchSize;
  const C = c.channels;
  let x: Vec[] = [];
  const prefixNames = ['cls_token', 'dist_token'].slice(0, prefix);
  prefixNames.forEach((n, i) => x.push(Array.from(sd.get(n)?.data ?? []).map((v, j) => v + row(i)[j])));
  patches.forEach((patch, t) => {
    const e: Vec = [];
    for (let o = 0; o < d; o++) {
      let s = convB.data[o];
      for (let ch = 0; ch < C; ch++) {
        for (let r = 0; r < p; r++) {
          for (let q = 0; q < p; q++) s += conv.data[((o * C + ch) * p + r) * p + q] * ((patch[(r * p + q) * C + ch] / 255 - c.mean[ch]) / c.std[ch]);
        }
      }
      e.push(s + row(prefix + positions[t])[o]);
    }
    x.push(e);
  });
  const clsAttention: Vec[] = [];
  const hd = d / c.heads;
  for (let b = 0; b < c.depth; b++) {
    const n = x.length;
    const qkv = x.map((t) => linear(sd, `blocks.${b}.attn.qkv`, layerNorm(sd, `blocks.${b}.norm1`, t, c.layerNormEps)));
    const ctx: Vec[] = x.map(() => new Array(d).fill(0));
    const avg = new Array(n - prefix).fill(0);
    for (let h = 0; h < c.heads; h++) {
      for (let i = 0; i < n; i++) {
        const s = qkv.map((kt) => {
          let dot = 0;
          for (let j = 0; j < hd; j++) dot += qkv[i][h * hd + j] * kt[d + h * hd + j];
          return dot / Math.sqrt(hd);
        });
        const mx = Math.max(...s);
        const ex = s.map((v) => Math.exp(v - mx));
        const z = ex.reduce((a, v) => a + v, 0);
        const a = ex.map((v) => v / z);
        if (i === 0) for (let j = prefix; j < n; j++) avg[j - prefix] += a[j] / c.heads;
        for (let j = 0; j < n; j++) for (let k = 0; k < hd; k++) ctx[i][h * hd + k] += a[j] * qkv[j][2 * d + h * hd + k];
      }
    }
    clsAttention.push(avg);
    x = x.map((t, i) => linear(sd, `blocks.${b}.attn.proj`, ctx[i]).map((v, j) => v + t[j]));
    x = x.map((t) => {
      const hdn = linear(sd, `blocks.${b}.mlp.fc1`, layerNorm(sd, `blocks.${b}.norm2`, t, c.layerNormEps)).map(gelu);
      return linear(sd, `blocks.${b}.mlp.fc2`, hdn).map((v, j) => v + t[j]);
    });
  }
  const normed = x.map((t) => layerNorm(sd, 'norm', t, c.layerNormEps));
  let logits = linear(sd, 'head', normed[0]);
  if (c.distilled) logits = linear(sd, 'head_dist', normed[1]).map((v, i) => (v + logits[i]) / 2);
  return { logits, clsAttention };
}
