/**
 * One preview tile from a ticket row (pure): the kept patches at their grid positions, upscaled by
 * an integer factor with nearest neighbour; dropped patches (absent from a ticket shard) are filled
 * with a dark, hatched grey so they read as "not in the ticket" even on black images.
 */
import { InputError } from '../util/errors.js';

export interface TileGeometry {
  /** Image height and width in pixels. */
  height: number;
  width: number;
  patchSize: number;
  gridW: number;
  channels: number;
}

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, row-major. */
  data: Uint8Array;
}

/** Colours of a dropped patch: base and hatch lines. */
export const DROPPED_BASE: readonly [number, number, number] = [58, 60, 72];
export const DROPPED_HATCH: readonly [number, number, number] = [84, 86, 100];

/** Integer upscale so the longer side reaches about `target` pixels (never below 1). */
export function tileScale(height: number, width: number, target = 112): number {
  return Math.max(1, Math.floor(target / Math.max(height, width)));
}

/**
 * Renders k patches (k·p·p·C bytes, aligned with ascending raster `positions`) into an RGB tile of
 * (height·scale) × (width·scale) pixels.
 */
export function renderTile(patches: Uint8Array, positions: Uint16Array, g: TileGeometry, scale: number): RgbImage {
  const p = g.patchSize;
  const c = g.channels;
  const patchBytes = p * p * c;
  if (patches.length !== positions.length * patchBytes) {
    throw new InputError(`${positions.length} positions but ${patches.length} patch bytes (expected ${positions.length * patchBytes})`);
  }
  const W = g.width * scale;
  const H = g.height * scale;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const hatch = (x + y) % Math.max(4, 3 * scale) < Math.max(1, scale >> 1);
      const col = hatch ? DROPPED_HATCH : DROPPED_BASE;
      data.set(col, (y * W + x) * 3);
    }
  }
  const gridCount = (g.height / p) * g.gridW;
  for (let i = 0; i < positions.length; i++) {
    const pos = positions[i];
    if (pos >= gridCount) throw new InputError(`position ${pos} is outside the ${gridCount}-patch grid`);
    const top = Math.floor(pos / g.gridW) * p;
    const left = (pos % g.gridW) * p;
    const base = i * patchBytes;
    for (let py = 0; py < p; py++) {
      for (let px = 0; px < p; px++) {
        const src = base + (py * p + px) * c;
        const r = patches[src];
        const gg = c >= 3 ? patches[src + 1] : r;
        const b = c >= 3 ? patches[src + 2] : r;
        for (let sy = 0; sy < scale; sy++) {
          let dst = (((top + py) * scale + sy) * W + (left + px) * scale) * 3;
          for (let sx = 0; sx < scale; sx++, dst += 3) {
            data[dst] = r;
            data[dst + 1] = gg;
            data[dst + 2] = b;
          }
        }
      }
    }
  }
  return { width: W, height: H, data };
}
