/**
 * Flipped rows written straight into a batch, in one pass: output patch i of a row is the mirror
 * of source patch perm[i] (the order `flipOrder` computes), so a flip costs one read of the source
 * row and one write, like a copy. With WebAssembly SIMD the batch's patch buffer lives in the
 * kernel's memory (mirror-wasm.ts): the source row is copied next to it (memory layout: perm,
 * scratch row, batch rows), then mirrored into place.
 * Without SIMD, or for a geometry the kernel does not cover, the same bytes come from `mirrorPatch`.
 */
import { mirrorPatch, type FlipGeometry } from './flip.js';
import { instantiateMirror, type FlipKernel } from './mirror-wasm.js';

export interface RowFlipper {
  /** The batch's patch buffer: `capacity` rows of k patches. */
  readonly patches: Uint8Array;
  /** The order of the next flipped row (k entries), filled by the caller (flipOrder). */
  readonly perm: Uint16Array;
  /** Writes row `row` of `patches`: patch i = mirror of the patch src[from + perm[i]·P …]. `src` may not be `patches`. */
  flip(src: Uint8Array, from: number, row: number): void;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Over-read of the kernel's 32-byte windows past the end of a source row. */
const WINDOW_SLACK = 32;

class SimdFlipper implements RowFlipper {
  readonly patches: Uint8Array;
  readonly perm: Uint16Array;
  private readonly rowBytes: number;
  private readonly permAt: number;
  private readonly scratchAt: number;
  private readonly patchesAt: number;

  constructor(private readonly memory: Uint8Array, private readonly kernel: FlipKernel, patchBytes: number, private readonly k: number, capacity: number) {
    this.rowBytes = k * patchBytes;
    this.permAt = 0;
    this.scratchAt = align16(this.permAt + 2 * k);
    this.patchesAt = align16(this.scratchAt + this.rowBytes + WINDOW_SLACK);
    this.perm = new Uint16Array(memory.buffer, this.permAt, k);
    this.patches = memory.subarray(this.patchesAt, this.patchesAt + capacity * this.rowBytes);
  }

  static bytes(k: number, rowBytes: number, capacity: number): number {
    return align16(align16(2 * k) + rowBytes + WINDOW_SLACK) + capacity * rowBytes;
  }

  flip(src: Uint8Array, from: number, row: number): void {
    this.memory.set(src.subarray(from, from + this.rowBytes), this.scratchAt);
    this.kernel(this.scratchAt, this.patchesAt + row * this.rowBytes, this.permAt, this.k);
  }
}

class ScalarFlipper implements RowFlipper {
  readonly patches: Uint8Array;
  readonly perm: Uint16Array;

  constructor(private readonly geo: FlipGeometry, private readonly k: number, capacity: number) {
    this.patches = new Uint8Array(capacity * k * patchBytesOf(geo));
    this.perm = new Uint16Array(k);
  }

  flip(src: Uint8Array, from: number, row: number): void {
    const { patchSize: p, channels: c } = this.geo;
    const size = patchBytesOf(this.geo);
    for (let i = 0, to = row * this.k * size; i < this.k; i++, to += size) mirrorPatch(src, from + this.perm[i] * size, this.patches, to, p, c);
  }
}

function patchBytesOf(geo: FlipGeometry): number {
  return geo.patchSize * geo.patchSize * geo.channels;
}

/** A flipper for batches of `capacity` rows of k patches; `simd: false` forces the scalar one. */
export function createRowFlipper(geo: FlipGeometry, k: number, capacity: number, options: { simd?: boolean } = {}): RowFlipper {
  const size = patchBytesOf(geo);
  const wasm = options.simd === false ? null : instantiateMirror(geo.patchSize, geo.channels, SimdFlipper.bytes(k, k * size, capacity));
  return wasm ? new SimdFlipper(wasm.memory, wasm.flip, size, k, capacity) : new ScalarFlipper(geo, k, capacity);
}
