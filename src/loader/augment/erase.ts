/**
 * Random erasing of whole kept tokens, as timm's RandomErasing (`reprob`, `remode`, `recount`;
 * area 0.02–1/3 of the image, aspect 0.3–1/0.3 log-uniform, up to 10 attempts per rectangle) with
 * the rectangle drawn on the patch grid (G_h × G_w patches) instead of the pixel grid: every kept
 * patch whose grid position lies inside the rectangle is erased whole; kept patches outside it and
 * dropped positions are untouched. What an erased patch holds, in bytes (timm erases after
 * normalisation, our batches are bytes): `const` the dataset mean colour (timm's 0), `rand` one
 * value per channel and rectangle, `pixel` one value per byte, each 255·(mean_c + std_c·z) rounded,
 * z ≈ N(0, 1) as the sum of one draw's four bytes, centred and scaled to unit variance (timm: a
 * normal in normalised space; a Box–Muller normal would need cos and log, not exact across languages).
 */
import type { Rng } from '../rng.js';
import { exp32, roundHalfUp, toByte, uniform, uniformIn } from './exact.js';

const f = Math.fround;

export const ERASE_MODES = ['const', 'rand', 'pixel'] as const;
export type EraseMode = (typeof ERASE_MODES)[number];

export interface EraseConfig {
  /** Probability that a row is erased at all (timm `reprob`). */
  prob: number;
  mode: EraseMode;
  /** Rectangles per erased row: 1, or uniform in [1, count] (timm `recount`). */
  count: number;
}

export interface EraseGeometry {
  /** Patch side, channels, grid height and width. */
  p: number;
  c: number;
  gh: number;
  gw: number;
  /** float32(float32(mean_c)·255) and float32(float32(std_c)·255) per channel. */
  mean255: readonly number[];
  std255: readonly number[];
}

const MIN_AREA = f(0.02);
const MAX_AREA = f(1 / 3);
/** float32(ln(1 / 0.3)). */
const LOG_ASPECT = 1.2039728164672852;
/** float32(√(4·(256² − 1)/12)): the standard deviation of the sum of four uniform bytes. */
const BYTE_SUM_SD = 147.800537109375;

export function eraseGeometry(meta: { patchSize: number; channels: number; grid: readonly number[]; mean: readonly number[]; std: readonly number[] }): EraseGeometry {
  const [gh, gw] = meta.grid as [number, number];
  return { p: meta.patchSize, c: meta.channels, gh, gw, mean255: meta.mean.map((m) => f(f(m) * 255)), std255: meta.std.map((s) => f(f(s) * 255)) };
}

/** One erased byte of channel `ch`: 255·(mean + std·z) rounded, z from the four bytes of one draw. */
function randomByte(rng: Rng, ch: number, g: EraseGeometry): number {
  const x = rng.next();
  const sum = (x & 255) + ((x >>> 8) & 255) + ((x >>> 16) & 255) + (x >>> 24);
  const z = f((sum - 510) / BYTE_SUM_SD);
  return toByte(f((g.mean255[ch] as number) + f((g.std255[ch] as number) * z)));
}

/** Fills the kept patches inside rows [top, top + h) × cols [left, left + w) of the grid. */
function eraseRect(px: Uint8Array, positions: Uint16Array, g: EraseGeometry, mode: EraseMode, rng: Rng, rect: readonly [number, number, number, number]): void {
  const [top, left, h, w] = rect;
  const pb = g.p * g.p * g.c;
  const fill = mode === 'pixel' ? null : Array.from({ length: g.c }, (_, ch) => (mode === 'const' ? toByte(g.mean255[ch] as number) : randomByte(rng, ch, g)));
  for (let j = 0; j < positions.length; j++) {
    const row = Math.floor((positions[j] as number) / g.gw);
    const col = (positions[j] as number) % g.gw;
    if (row < top || row >= top + h || col < left || col >= left + w) continue;
    for (let b = j * pb; b < (j + 1) * pb; b += g.c) {
      for (let ch = 0; ch < g.c; ch++) px[b + ch] = fill ? (fill[ch] as number) : randomByte(rng, ch, g);
    }
  }
}

/** A rectangle [top, left, h, w] on the grid after at most 10 attempts, or null (timm's loop). */
function drawRect(rng: Rng, g: EraseGeometry, count: number): [number, number, number, number] | null {
  const area = g.gh * g.gw;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = f(f(uniformIn(rng, MIN_AREA, MAX_AREA) * area) / count);
    const aspect = exp32(uniformIn(rng, -LOG_ASPECT, LOG_ASPECT));
    const h = roundHalfUp(f(Math.sqrt(f(target * aspect))));
    const w = roundHalfUp(f(Math.sqrt(f(target / aspect))));
    if (w < g.gw && h < g.gh) return [rng.below(g.gh - h + 1), rng.below(g.gw - w + 1), h, w];
  }
  return null;
}

/**
 * Erases tokens of one row in place (`px`: k·p·p·C bytes, `positions`: its k grid positions).
 * Draws: u < prob decides; the rectangle count; per rectangle its attempts (area, aspect, then
 * top and left once it fits), then its fill values (`rand`: C; `pixel`: one per erased byte).
 */
export function eraseRow(px: Uint8Array, positions: Uint16Array, g: EraseGeometry, cfg: EraseConfig, rng: Rng): void {
  if (!(uniform(rng) < cfg.prob)) return;
  const count = cfg.count === 1 ? 1 : 1 + rng.below(cfg.count);
  for (let n = 0; n < count; n++) {
    const rect = drawRect(rng, g, count);
    if (rect) eraseRect(px, positions, g, cfg.mode, rng, rect);
  }
}
