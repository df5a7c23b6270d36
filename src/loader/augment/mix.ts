/**
 * Mixup and CutMix at token level, with timm's `Mixup` parameters (`mixup_alpha`, `cutmix_alpha`,
 * `prob`, `switch_prob`, `label_smoothing`) in its per-sample mode (`mode='elem'`): row i of a
 * batch of n is mixed with row n − 1 − i (timm's flipped batch; the middle row of an odd batch with
 * itself), as it was before any mixing; each row's decision, choice and λ are drawn from its own
 * generator keyed by (seed, epoch, sample id).
 * - mixup: token j of the row becomes round(λ·a_j + (1 − λ)·b_j) byte by byte, b_j the partner's
 *   token j in kept order; positions (and scores) stay the row's own. λ ~ Beta(α, α).
 * - cutmix: timm's box (cut ratio √(1 − λ), centre uniform on the grid, sides 2·⌊cut/2⌋, clipped)
 *   on the patch grid; each of the row's kept tokens inside the box whose position the partner also
 *   kept takes the partner's pixels at that position. Positions stay the row's own (k tokens,
 *   ascending, no duplicates); λ becomes 1 − replaced / k (the kept-token fraction).
 * Soft targets, as timm's `mixup_target`: λ·y_i + (1 − λ)·y_partner with y = one-hot smoothed
 * (off = s / C, on = 1 − s + off), all float32.
 */
import { hashInts, hashString, Rng } from '../rng.js';
import { beta, uniform } from './exact.js';

// Local aliases: calls through an imported binding are not inlined by V8 under every loader (tsx).
const f = Math.fround;
const toByte = (v: number): number => Math.floor(f(Math.min(255, Math.max(0, v)) + 0.5)); // exact.ts toByte

export interface MixConfig {
  mixupAlpha: number;
  cutmixAlpha: number;
  /** Probability that a row is mixed at all (timm `mix_prob` / `prob`). */
  prob: number;
  /** With both alphas > 0, the probability of cutmix rather than mixup. */
  switchProb: number;
  labelSmoothing: number;
}

export interface MixGeometry {
  /** Bytes of one patch, patches per row, grid height and width, classes. */
  patchBytes: number;
  k: number;
  gh: number;
  gw: number;
  numClasses: number;
}

/** Purpose salt of the mixing draws (independent of the loader's other salts). */
export const SALT_MIX = 18;

export interface MixDraw {
  mixed: boolean;
  cutmix: boolean;
  lam: number;
  /** Box centre on the grid (cutmix only). */
  cy: number;
  cx: number;
}

/** Draws: u < prob decides; with both alphas > 0, u < switchProb picks cutmix; λ ~ Beta; cutmix: centre row, then column. */
export function drawMix(rng: Rng, cfg: MixConfig, g: MixGeometry): MixDraw {
  if (!(uniform(rng) < cfg.prob)) return { mixed: false, cutmix: false, lam: 1, cy: 0, cx: 0 };
  const cutmix = cfg.mixupAlpha > 0 && cfg.cutmixAlpha > 0 ? uniform(rng) < cfg.switchProb : cfg.cutmixAlpha > 0;
  const lam = beta(rng, cutmix ? cfg.cutmixAlpha : cfg.mixupAlpha);
  return cutmix ? { mixed: true, cutmix, lam, cy: rng.below(g.gh), cx: rng.below(g.gw) } : { mixed: true, cutmix, lam, cy: 0, cx: 0 };
}

/** timm's rand_bbox on the G_h × G_w grid: [y0, y1, x0, x1). */
export function cutBox(d: MixDraw, g: MixGeometry): [number, number, number, number] {
  const ratio = f(Math.sqrt(f(1 - d.lam)));
  const halfH = Math.floor(Math.floor(f(g.gh * ratio)) / 2);
  const halfW = Math.floor(Math.floor(f(g.gw * ratio)) / 2);
  const clip = (v: number, n: number): number => Math.min(n, Math.max(0, v));
  return [clip(d.cy - halfH, g.gh), clip(d.cy + halfH, g.gh), clip(d.cx - halfW, g.gw), clip(d.cx + halfW, g.gw)];
}

/** Row `dst` ← round(λ·dst + (1 − λ)·src), byte by byte (the two float32 products looked up per byte value). */
function mixup(dst: Uint8Array, src: Uint8Array, lam: number): void {
  const rest = f(1 - lam);
  const own = Float32Array.from({ length: 256 }, (_, v) => f(lam * v));
  const other = Float32Array.from({ length: 256 }, (_, v) => f(rest * v));
  for (let b = 0; b < dst.length; b++) dst[b] = toByte(f((own[dst[b] as number] as number) + (other[src[b] as number] as number)));
}

/** Replaces the row's tokens inside `box` by the partner's at the same position; returns how many. Both position lists ascend. */
function cutmix(dst: Uint8Array, pos: Uint16Array, src: Uint8Array, srcPos: Uint16Array, box: readonly [number, number, number, number], g: MixGeometry): number {
  const [y0, y1, x0, x1] = box;
  const { gw, patchBytes: pb } = g;
  let replaced = 0;
  let q = 0;
  for (let j = 0; j < pos.length; j++) {
    const p = pos[j] as number;
    const [row, col] = [Math.floor(p / gw), p % gw];
    if (row < y0 || row >= y1 || col < x0 || col >= x1) continue;
    while (q < srcPos.length && (srcPos[q] as number) < p) q++;
    if (q < srcPos.length && srcPos[q] === p) {
      dst.set(src.subarray(q * pb, (q + 1) * pb), j * pb);
      replaced++;
    }
  }
  return replaced;
}

/** Writes row i's soft target (C floats at `out[i·C…]`). */
function softTarget(out: Float32Array, i: number, own: number, partner: number, lam: number, g: MixGeometry, smoothing: number): void {
  const C = g.numClasses;
  const off = f(smoothing / C);
  const on = f(f(1 - smoothing) + off);
  const rest = f(1 - lam);
  for (let c = 0; c < C; c++) out[i * C + c] = f(f((c === own ? on : off) * lam) + f((c === partner ? on : off) * rest));
}

export interface MixBatch {
  size: number;
  /** [size·k·patchBytes], mixed in place. */
  patches: Uint8Array;
  positions: Uint16Array;
  labels: Int32Array;
  ids: readonly string[];
}

/**
 * Mixes a batch in place and writes its soft targets [size·C] to `targets`; returns each row's λ
 * (after the cutmix correction). `original` is scratch of at least size·k·patchBytes bytes.
 */
export function mixBatch(b: MixBatch, seed: number, epoch: number, cfg: MixConfig, g: MixGeometry, original: Uint8Array, targets: Float32Array): Float32Array {
  const R = g.k * g.patchBytes;
  original.set(b.patches.subarray(0, b.size * R));
  const lams = new Float32Array(b.size);
  for (let i = 0; i < b.size; i++) {
    const j = b.size - 1 - i;
    const d = drawMix(new Rng(hashInts(seed, epoch, SALT_MIX, hashString(b.ids[i] as string))), cfg, g);
    let lam = d.lam;
    const row = b.patches.subarray(i * R, (i + 1) * R);
    const partner = original.subarray(j * R, (j + 1) * R);
    if (d.mixed && d.cutmix) {
      const n = cutmix(row, b.positions.subarray(i * g.k, (i + 1) * g.k), partner, b.positions.subarray(j * g.k, (j + 1) * g.k), cutBox(d, g), g);
      lam = f(1 - f(n / g.k));
    } else if (d.mixed) mixup(row, partner, lam);
    lams[i] = lam;
    softTarget(targets, i, b.labels[i] as number, b.labels[j] as number, lam, g, cfg.labelSmoothing);
  }
  return lams;
}
