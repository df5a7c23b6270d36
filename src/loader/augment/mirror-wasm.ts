/**
 * The horizontal mirror of many patches with WebAssembly SIMD: a patch's pixels mirrored within
 * each pixel row, 16 output bytes at a time. Which source bytes each 16-byte output chunk takes
 * depends only on the geometry (p, C), so a table computed once per geometry gives, for every
 * chunk of a patch, a 32-byte source window and the byte of that window for each output lane; the
 * kernel then does two loads, two `i8x16.swizzle`s and one store per chunk (lanes ≥ 16 select 0,
 * so the two halves of the window combine with an `or`).
 *
 * The module is assembled here from its instructions (no toolchain); in WAT:
 *
 *   (func (export "flip") (param $src $dst $perm $k $P $tbl $chunks i32) (local $i $s $d $c $e $w i32)
 *     $d = $dst
 *     for $i in [0, $k):                      ;; output patch i is the mirror of source patch perm[i]
 *       $s = $src + load16_u($perm + 2·$i) · $P
 *       $e = $tbl
 *       for $c in [0, $chunks):               ;; table entry: window, output offset, lanes, lanes − 16
 *         $w = $s + load($e)
 *         v128.store($d + load($e + 4),
 *           v128.or(i8x16.swizzle(v128.load($w), v128.load($e + 16)),
 *                   i8x16.swizzle(v128.load($w + 16), v128.load($e + 32))))
 *         $e += 48
 *       $d += $P
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

/** Bytes of one table entry: window (i32), output offset (i32), padding, lanes, lanes − 16. */
export const CHUNK_ENTRY_BYTES = 48;

/** Writes the chunk table the kernel reads (CHUNK_ENTRY_BYTES per chunk) into `mem` at `at`. */
export function writeChunkTable(chunks: readonly MirrorChunk[], mem: Uint8Array, at: number): void {
  const view = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  chunks.forEach((chunk, i) => {
    const e = at + i * CHUNK_ENTRY_BYTES;
    view.setInt32(e, chunk.window, true);
    view.setInt32(e + 4, chunk.out, true);
    chunk.lanes.forEach((lane, j) => {
      mem[e + 16 + j] = lane;
      mem[e + 32 + j] = (lane - 16) & 0xff;
    });
  });
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

const I32 = 0x7f;
const [SRC, DST, PERM, K, P, TBL, CHUNKS, I, S, D, C, E, W] = Array.from({ length: 13 }, (_, i) => i);
const get = (l: number): number[] => [0x20, l];
const set = (l: number): number[] => [0x21, l];
const i32 = (v: number): number[] => [0x41, ...uleb(v)]; // small non-negative constants only (< 64)
const [ADD, MUL, LT_U, EQZ] = [[0x6a], [0x6c], [0x49], [0x45]];
const LOAD = (offset: number): number[] => [0x28, 2, offset];
const LOAD16_U = [0x2f, 1, 0];
const V128_LOAD = (offset: number): number[] => [0xfd, 0x00, 0, offset]; // alignment hint 1: windows are unaligned
const V128_STORE = [0xfd, 0x0b, 0, 0];
const SWIZZLE = [0xfd, 0x0e];
const V128_OR = [0xfd, 0x50];
const [BLOCK, LOOP, END] = [[0x02, 0x40], [0x03, 0x40], [0x0b]];
const BR = (depth: number): number[] => [0x0c, depth];
const BR_IF = (depth: number): number[] => [0x0d, depth];
const inc = (l: number, by: number[]): number[] => [...get(l), ...by, ...ADD, ...set(l)];
/** `for (; l < limit; l++) body` with l starting at 0. */
const forRange = (l: number, limit: number, body: number[]): number[] => [
  ...i32(0), ...set(l), ...BLOCK, ...LOOP,
  ...get(l), ...get(limit), ...LT_U, ...EQZ, ...BR_IF(1),
  ...body, ...inc(l, i32(1)), ...BR(0),
  ...END, ...END,
];

const chunkBody = [
  ...get(S), ...get(E), ...LOAD(0), ...ADD, ...set(W),
  ...get(D), ...get(E), ...LOAD(4), ...ADD,
  ...get(W), ...V128_LOAD(0), ...get(E), ...V128_LOAD(16), ...SWIZZLE,
  ...get(W), ...V128_LOAD(16), ...get(E), ...V128_LOAD(32), ...SWIZZLE,
  ...V128_OR, ...V128_STORE,
  ...inc(E, i32(CHUNK_ENTRY_BYTES)),
];
const patchBody = [
  ...get(SRC), ...get(PERM), ...get(I), ...get(I), ...ADD, ...ADD, ...LOAD16_U, ...get(P), ...MUL, ...ADD, ...set(S),
  ...get(TBL), ...set(E),
  ...forRange(C, CHUNKS, chunkBody),
  ...inc(D, get(P)),
];
const flipFunction = [...vec([[6, I32]]), ...get(DST), ...set(D), ...forRange(I, K, patchBody), ...END];

/** The module: imports `env.memory`, exports `flip(src, dst, perm, k, P, tbl, chunks)`. */
export const MIRROR_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([[0x60, ...vec(Array.from({ length: 7 }, () => [I32])), 0]])),
  ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
  ...section(3, vec([[0]])),
  ...section(7, vec([[...name('flip'), 0x00, 0]])),
  ...section(10, vec([[...uleb(flipFunction.length), ...flipFunction]])),
]);

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

export type FlipKernel = (src: number, dst: number, perm: number, k: number, patchBytes: number, table: number, chunks: number) => void;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly or its SIMD instructions are unavailable. */
function mirrorModule(): object | null {
  if (compiled !== undefined) return compiled;
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  try {
    compiled = api ? new api.Module(MIRROR_WASM) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

export const WASM_PAGE = 65536;

/** A fresh memory of `bytes` (never grown, so views of it stay valid) and the kernel over it; null without SIMD. */
export function instantiateMirror(bytes: number): { memory: Uint8Array; flip: FlipKernel } | null {
  const module = mirrorModule();
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!module || !api) return null;
  const pages = Math.ceil(bytes / WASM_PAGE);
  const memory = new api.Memory({ initial: pages, maximum: pages });
  const { exports } = new api.Instance(module, { env: { memory } });
  const flip = exports.flip;
  if (typeof flip !== 'function') return null;
  return { memory: new Uint8Array(memory.buffer), flip: flip as FlipKernel };
}
