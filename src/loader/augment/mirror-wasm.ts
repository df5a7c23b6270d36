/**
 * The horizontal mirror of many patches with WebAssembly SIMD: a patch's pixels mirrored within
 * each pixel row, 16 output bytes at a time. Which source bytes each 16-byte output chunk takes
 * depends only on the geometry (p, C), so a module is assembled per geometry (no toolchain: the
 * bytes are written here) with one straight-line step per chunk of a patch — two loads of the
 * chunk's 32-byte source window, a constant `i8x16.swizzle` of each (one pshufb; lanes that belong
 * to the other half select 0), an `or`, one store — inside a loop over the row's patches. The
 * constants repeat from pixel row to pixel row, so the compiler keeps them in registers. In WAT,
 * for chunks (out, window, lanes):
 *
 *   (func (export "flip") (param $src $dst $perm $k i32) (local $i $s i32)
 *     for $i in [0, $k):                       ;; output patch i is the mirror of source patch perm[i]
 *       $s = $src + load16_u($perm + 2·$i) · P
 *       v128.store offset=out ($dst, v128.or (i8x16.swizzle (v128.load offset=window ($s)) lanes)
 *                                            (i8x16.swizzle (v128.load offset=window+16 ($s)) lanes − 16))  ;; per chunk
 *       $dst += P
 */

/** One 16-byte output chunk of a mirrored patch: it reads the 32 bytes at `window` of the source patch. */
export interface MirrorChunk {
  /** Offset of the chunk in the output patch. */
  out: number;
  /** Offset of the source window in the source patch. */
  window: number;
  /** For each of the 16 output bytes, its byte in the window (0–31). */
  lanes: number[];
}

/**
 * The chunks covering a mirrored p×p×C patch: 16-byte steps along each pixel row, the last one
 * ending at the row's end (overlapping its neighbour, which writes the same bytes), or along the
 * whole patch when a pixel row is shorter than 16 bytes. Null when a chunk's sources do not fit one
 * 32-byte window (more than 8 channels, or short rows that mix too far apart) or the patch is under 16 bytes.
 */
export function mirrorChunks(p: number, c: number): MirrorChunk[] | null {
  const rowBytes = p * c;
  const patch = rowBytes * p;
  if (patch < 16) return null;
  const starts = (length: number, base: number): number[] => {
    const out: number[] = [];
    for (let o = 0; o + 16 < length; o += 16) out.push(base + o);
    out.push(base + length - 16);
    return out;
  };
  const outs = rowBytes >= 16 ? Array.from({ length: p }, (_, r) => starts(rowBytes, r * rowBytes)).flat() : starts(patch, 0);
  const source = (b: number): number => {
    const [r, x, ch] = [Math.floor(b / rowBytes), Math.floor((b % rowBytes) / c), b % c];
    return r * rowBytes + (p - 1 - x) * c + ch;
  };
  const chunks: MirrorChunk[] = [];
  for (const out of outs) {
    const src = Array.from({ length: 16 }, (_, j) => source(out + j));
    const window = Math.min(...src);
    if (Math.max(...src) - window >= 32) return null;
    chunks.push({ out, window, lanes: src.map((s) => s - window) });
  }
  return chunks;
}

// --- the module's bytes ---------------------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec(Array.from(s, (ch) => [ch.charCodeAt(0)]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Signed LEB128 of a non-negative integer (i32.const). */
function sleb(n: number): number[] {
  const out = uleb(n);
  if ((out[out.length - 1] & 0x40) !== 0) {
    out[out.length - 1] |= 0x80;
    out.push(0);
  }
  return out;
}

const I32 = 0x7f;
const [SRC, DST, PERM, K, I, S] = [0, 1, 2, 3, 4, 5];
const get = (l: number): number[] => [0x20, l];
const set = (l: number): number[] => [0x21, l];
const i32 = (v: number): number[] => [0x41, ...sleb(v)];
const [ADD, MUL, LT_U, EQZ] = [[0x6a], [0x6c], [0x49], [0x45]];
const LOAD16_U = [0x2f, 1, 0];
// memarg: alignment hint 1 byte (windows and chunks are unaligned), then the offset.
const V128_LOAD = (offset: number): number[] => [0xfd, 0x00, 0, ...uleb(offset)];
const V128_STORE = (offset: number): number[] => [0xfd, 0x0b, 0, ...uleb(offset)];
const V128_CONST = (bytes: readonly number[]): number[] => [0xfd, 0x0c, ...bytes];
const SWIZZLE = [0xfd, 0x0e];
const V128_OR = [0xfd, 0x50];
const [BLOCK, LOOP, END] = [[0x02, 0x40], [0x03, 0x40], [0x0b]];
const BR = (depth: number): number[] => [0x0c, depth];
const BR_IF = (depth: number): number[] => [0x0d, depth];

function flipFunction(chunks: readonly MirrorChunk[], patchBytes: number): number[] {
  // Lanes of the other half are 0x80, which pshufb (and swizzle: any lane ≥ 16) turns into 0.
  const steps = chunks.flatMap((c) => [
    ...get(DST),
    ...get(S), ...V128_LOAD(c.window), ...V128_CONST(c.lanes.map((l) => (l < 16 ? l : 0x80))), ...SWIZZLE,
    ...get(S), ...V128_LOAD(c.window + 16), ...V128_CONST(c.lanes.map((l) => (l >= 16 ? l - 16 : 0x80))), ...SWIZZLE,
    ...V128_OR, ...V128_STORE(c.out),
  ]);
  const patch = [
    ...get(SRC), ...get(PERM), ...get(I), ...get(I), ...ADD, ...ADD, ...LOAD16_U, ...i32(patchBytes), ...MUL, ...ADD, ...set(S),
    ...steps,
    ...get(DST), ...i32(patchBytes), ...ADD, ...set(DST),
  ];
  const loop = [
    ...i32(0), ...set(I), ...BLOCK, ...LOOP,
    ...get(I), ...get(K), ...LT_U, ...EQZ, ...BR_IF(1),
    ...patch, ...get(I), ...i32(1), ...ADD, ...set(I), ...BR(0),
    ...END, ...END,
  ];
  return [...vec([[2, I32]]), ...loop, ...END];
}

/** The module for one geometry's chunks: imports `env.memory`, exports `flip(src, dst, perm, k)`. */
export function mirrorWasm(chunks: readonly MirrorChunk[], patchBytes: number): Uint8Array {
  const body = flipFunction(chunks, patchBytes);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('flip'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

// --- instantiation --------------------------------------------------------------------------

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The part of the WebAssembly global this module uses (the project's lib settings do not declare it). */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: { env: { memory: WasmMemory } }) => { exports: Record<string, unknown> };
}

export type FlipKernel = (src: number, dst: number, perm: number, k: number) => void;

/** Compiled modules by geometry; null where WebAssembly or its SIMD instructions are unavailable. */
const compiled = new Map<string, object | null>();

function mirrorModule(p: number, c: number): object | null {
  const key = `${p}×${c}`;
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  const chunks = mirrorChunks(p, c);
  let module: object | null = null;
  try {
    if (api && chunks) module = new api.Module(mirrorWasm(chunks, p * p * c));
  } catch {
    module = null;
  }
  compiled.set(key, module);
  return module;
}

export const WASM_PAGE = 65536;

/**
 * The kernel mirroring p×p×C patches over a fresh memory of `bytes` (never grown, so views of it
 * stay valid); null where SIMD or this geometry is not covered, or no memory can be had.
 */
export function instantiateMirror(p: number, c: number, bytes: number): { memory: Uint8Array; flip: FlipKernel } | null {
  const module = mirrorModule(p, c);
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!module || !api) return null;
  const pages = Math.ceil(bytes / WASM_PAGE);
  let memory: WasmMemory;
  try {
    memory = new api.Memory({ initial: pages, maximum: pages });
  } catch {
    return null; // out of memory or address space: the scalar mirror serves
  }
  const { exports } = new api.Instance(module, { env: { memory } });
  const flip = exports.flip;
  if (typeof flip !== 'function') return null;
  return { memory: new Uint8Array(memory.buffer), flip: flip as FlipKernel };
}
