/**
 * Colour jitter on the kept patches of one row, as torchvision's ColorJitter (timm's
 * `color_jitter`): brightness, contrast and saturation factors uniform in [max(0, 1 − x), 1 + x],
 * applied in a random order, each a blend r·a + (1 − r)·b of the pixel a with
 * - brightness: b = 0;
 * - contrast: b = the mean grayscale of the row's kept pixels (torchvision takes the whole
 *   image's mean, which a sparse ticket does not have: here the mean over the k kept patches, as
 *   they are when contrast comes in the order);
 * - saturation: b = the pixel's own grayscale (the identity on 1-channel rows, as torchvision).
 * Grayscale is 0.2989·R + 0.587·G + 0.114·B truncated to an integer (torchvision's for bytes);
 * each op rounds back to bytes (floor(v + ½) of the value clamped to [0, 255]; torchvision
 * truncates). All float32 (exact.ts), so TypeScript and Python give the same bytes.
 */
import type { Rng } from '../rng.js';
import { uniformIn } from './exact.js';

// Local aliases: calls through an imported binding are not inlined by V8 under every loader (tsx).
const f = Math.fround;
const toByte = (v: number): number => Math.floor(f(Math.min(255, Math.max(0, v)) + 0.5)); // exact.ts toByte

/** float32 of torchvision's grayscale weights. */
const GRAY_R = 0.2989000082015991;
const GRAY_G = 0.5870000123977661;
const GRAY_B = 0.11400000005960464;

/** [lo, hi] of the brightness, contrast and saturation factors. */
export type JitterRanges = readonly [readonly [number, number], readonly [number, number], readonly [number, number]];

/** The factor ranges of timm's `color_jitter` (x_b, x_c, x_s ≥ 0): [max(0, 1 − x), 1 + x] in float32. */
export function jitterRanges(strengths: readonly [number, number, number]): JitterRanges {
  const r = (x: number): [number, number] => [f(Math.max(0, f(1 - f(x)))), f(1 + f(x))];
  return [r(strengths[0]), r(strengths[1]), r(strengths[2])];
}

/** float32(w·v) for every byte v: the products of the grayscale sum, looked up. */
const products = (w: number): Float32Array => Float32Array.from({ length: 256 }, (_, v) => f(w * v));
const GRAY_TR = products(GRAY_R);
const GRAY_TG = products(GRAY_G);
const GRAY_TB = products(GRAY_B);

/** The grayscale of the pixel at byte `i` (an integer): ((0.2989·R + 0.587·G) + 0.114·B) in float32, truncated. */
function grayAt(px: Uint8Array, i: number, c: number): number {
  if (c === 1) return px[i] as number;
  return Math.floor(f(f((GRAY_TR[px[i] as number] as number) + (GRAY_TG[px[i + 1] as number] as number)) + (GRAY_TB[px[i + 2] as number] as number)));
}

/** round(r·a + (1 − r)·b) as a byte. */
function blend(a: number, r: number, b: number): number {
  return toByte(f(f(r * a) + f(f(1 - r) * b)));
}

/** Applies `lut` to every byte. */
function mapBytes(px: Uint8Array, lut: Uint8Array): void {
  for (let i = 0; i < px.length; i++) px[i] = lut[px[i] as number] as number;
}

function blendTable(r: number, b: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = blend(v, r, b);
  return lut;
}

/** The mean grayscale of all pixels, float32(sum / count). */
export function meanGray(px: Uint8Array, c: number): number {
  let sum = 0;
  for (let i = 0; i < px.length; i += c) sum += grayAt(px, i, c);
  return f(sum / (px.length / c));
}

function saturate(px: Uint8Array, c: number, r: number): void {
  if (c === 1) return;
  const own = products(r); // float32(r·a)
  const gray = products(f(1 - r)); // float32((1 − r)·g)
  for (let i = 0; i < px.length; i += c) {
    const g = gray[grayAt(px, i, c)] as number;
    for (let ch = 0; ch < c; ch++) px[i + ch] = toByte(f((own[px[i + ch] as number] as number) + g));
  }
}

/**
 * Jitters a row's pixels (`px`: k·p·p·C bytes) in place. Draws: the order (Fisher–Yates over the
 * three ops: j = below(3), then j = below(2)), then the three factors (always all three).
 */
export function jitterRow(px: Uint8Array, c: number, ranges: JitterRanges, rng: Rng): void {
  const order = [0, 1, 2];
  for (let i = 2; i > 0; i--) {
    const j = rng.below(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const factors = ranges.map(([lo, hi]) => uniformIn(rng, lo, hi));
  for (const op of order) {
    const [lo, hi] = ranges[op] as readonly [number, number];
    if (lo === 1 && hi === 1) continue;
    const r = factors[op] as number;
    if (op === 0) mapBytes(px, blendTable(r, 0));
    else if (op === 1) mapBytes(px, blendTable(r, meanGray(px, c)));
    else saturate(px, c, r);
  }
}
