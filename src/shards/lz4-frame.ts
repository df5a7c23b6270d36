/**
 * A bounded decoder of the LZ4 frame format (lz4's doc/lz4_Frame_format.md, v1.6), for untrusted
 * bytes: it writes into the caller's buffer, which has exactly the size the data declares, and
 * fails — never allocates or writes more — when the frames would produce anything else. Native
 * decoders (lz4-napi) return a new buffer of whatever size the frame turns out to have (an LZ4 frame
 * can expand ~255×), so the reader uses this one; the writer compresses with lz4-napi.
 *
 * Handles one or more frames back to back (skippable frames are skipped), linked and independent
 * blocks, stored (uncompressed) blocks, the optional content size (checked) and checksums (skipped:
 * a shard's sha256 covers its bytes). Dictionary frames and the legacy format are refused.
 */

import { ShardError } from '../util/errors.js';

const MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;
/** Block maximum sizes by BD's id (4 … 7). */
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
const MIN_MATCH = 4;

function fail(reason: string): never {
  throw new ShardError(reason);
}

/** A read cursor over the compressed bytes. */
class Input {
  at = 0;
  private readonly view: DataView;

  constructor(readonly src: Uint8Array) {
    this.view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  }

  need(n: number, what: string): void {
    if (this.at + n > this.src.length) fail(`truncated ${what} at byte ${this.at}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.src[this.at++];
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.at += n;
  }
}

interface FrameHeader {
  independent: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  contentSize: number | null;
  blockMax: number;
}

function frameHeader(input: Input): FrameHeader {
  const flg = input.u8('frame descriptor');
  const bd = input.u8('frame descriptor');
  if (flg >> 6 !== 1) fail(`frame version ${flg >> 6} (only version 01 exists)`);
  if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) fail('reserved bits set in the frame descriptor');
  if ((flg & 0x01) !== 0) fail('frame needs a dictionary');
  const blockMax = BLOCK_MAX[(bd >> 4) & 7];
  if (blockMax === 0) fail(`block maximum size id ${(bd >> 4) & 7} is reserved`);
  let contentSize: number | null = null;
  if ((flg & 0x08) !== 0) {
    const lo = input.u32('content size');
    const hi = input.u32('content size');
    contentSize = hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 2 ** 32 + lo;
  }
  input.u8('header checksum');
  return { independent: (flg & 0x20) !== 0, blockChecksum: (flg & 0x10) !== 0, contentChecksum: (flg & 0x04) !== 0, contentSize, blockMax };
}

/**
 * Decodes one LZ4 block `src[from, to)` into `dst` at `op`; matches may reach back to `floor`.
 * Returns the new output position.
 */
function decodeBlock(src: Uint8Array, from: number, to: number, dst: Uint8Array, op: number, floor: number): number {
  let ip = from;
  const end = dst.length;
  while (ip < to) {
    const token = src[ip++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b = 255;
      while (b === 255) {
        if (ip >= to) fail('truncated literal length');
        b = src[ip++];
        literals += b;
      }
    }
    if (ip + literals > to) fail('literals run past the block');
    if (op + literals > end) fail(`data exceeds the declared ${end} bytes`);
    if (literals > 16) dst.set(src.subarray(ip, ip + literals), op);
    else for (let i = 0; i < literals; i++) dst[op + i] = src[ip + i];
    ip += literals;
    op += literals;
    if (ip === to) return op; // the last sequence has literals only
    if (ip + 2 > to) fail('truncated match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op - floor) fail(`match offset ${offset} reaches before the data`);
    let length = token & 15;
    if (length === 15) {
      let b = 255;
      while (b === 255) {
        if (ip >= to) fail('truncated match length');
        b = src[ip++];
        length += b;
      }
    }
    length += MIN_MATCH;
    if (op + length > end) fail(`data exceeds the declared ${end} bytes`);
    const start = op - offset;
    if (offset >= length) dst.copyWithin(op, start, start + length);
    else for (let i = 0; i < length; i++) dst[op + i] = dst[start + i];
    op += length;
  }
  fail('empty block sequence');
}

/** Decodes one frame (after its magic number) into `dst` at `op`; returns the new output position. */
function decodeFrame(input: Input, dst: Uint8Array, op: number): number {
  const h = frameHeader(input);
  const frameStart = op;
  if (h.contentSize !== null && h.contentSize > dst.length - op) fail(`frame content size ${h.contentSize} exceeds the declared ${dst.length} bytes`);
  for (;;) {
    const word = input.u32('block size');
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > h.blockMax) fail(`block of ${size} bytes exceeds the frame's maximum ${h.blockMax}`);
    input.need(size, 'block');
    const blockStart = op;
    if (word & 0x80000000) {
      if (op + size > dst.length) fail(`data exceeds the declared ${dst.length} bytes`);
      dst.set(input.src.subarray(input.at, input.at + size), op);
      op += size;
    } else {
      op = decodeBlock(input.src, input.at, input.at + size, dst, op, h.independent ? blockStart : frameStart);
    }
    if (op - blockStart > h.blockMax) fail(`block decodes to more than the frame's maximum ${h.blockMax} bytes`);
    input.at += size;
    if (h.blockChecksum) input.skip(4, 'block checksum');
  }
  if (h.contentChecksum) input.skip(4, 'content checksum');
  if (h.contentSize !== null && h.contentSize !== op - frameStart) fail(`frame holds ${op - frameStart} bytes, its header says ${h.contentSize}`);
  return op;
}

/**
 * Decodes LZ4 frames `src` into `dst`, which they must fill exactly. Throws a ShardError (the reason only: the caller names the file) on any
 * malformed, truncated or wrongly sized input.
 */
export function decodeLz4Frames(src: Uint8Array, dst: Uint8Array): void {
  const input = new Input(src);
  let op = 0;
  let frames = 0;
  while (input.at < src.length) {
    const magic = input.u32('magic number');
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE) {
      input.skip(input.u32('skippable frame size'), 'skippable frame');
      continue;
    }
    if (magic !== MAGIC) fail(`no LZ4 frame magic number at byte ${input.at - 4}`);
    op = decodeFrame(input, dst, op);
    frames++;
  }
  if (frames === 0) fail('no LZ4 frame');
  if (op !== dst.length) fail(`data holds ${op} bytes, ${dst.length} declared`);
}
