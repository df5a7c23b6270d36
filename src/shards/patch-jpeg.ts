/**
 * The JPEG patch encoding (meta.patchEncoding, schemas/README.md section 2b): each row's k kept
 * patches stored as one baseline JPEG, a mosaic of `columns` cells per line, patch j in cell
 * (⌊j / columns⌋, j mod columns), its p×p pixels at the cell's top-left. A cell's side is the patch
 * size rounded up to a multiple of 8 and chroma is not subsampled (4:4:4), so no 8×8 JPEG block,
 * luma or chroma, holds pixels of two patches: a patch's decoded pixels depend on its own pixels
 * only (the padding right of and below it repeats its last column and row; cells past k are 128).
 * Encoded and decoded with libjpeg-turbo through sharp (libvips); the Python package decodes with
 * Pillow's libjpeg-turbo, the same integer IDCT, and gets the same bytes (test/shards/patch-jpeg.test.ts,
 * python/tests/test_patch_jpeg.py).
 * Every JPEG is untrusted input: its frame (size, components) is read from its header and checked
 * against the layout before anything is decoded, and a JPEG libjpeg warns about is refused.
 */
import sharp, { type OutputInfo } from 'sharp';
import { readJpegHeader } from '../patchify/jpeg_header.js';
import { InputError, ShardError, show } from '../util/errors.js';
import type { DatasetMeta, PatchEncoding } from './types.js';

export const PATCH_ENCODINGS = ['raw', 'jpeg'] as const;
export type PatchEncodingName = (typeof PATCH_ENCODINGS)[number];
export const DEFAULT_JPEG_QUALITY = 90;
/** Value of the pixels of cells past k. */
const FILL = 128;

/** The encoding recorded for a dataset of this geometry: cells of p rounded up to 8, ⌈√k⌉ columns. */
export function jpegEncoding(meta: Pick<DatasetMeta, 'patchSize' | 'k'>, quality = DEFAULT_JPEG_QUALITY): PatchEncoding {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new InputError(`JPEG quality must be an integer in [1, 100], got ${show(quality)}`);
  return { codec: 'jpeg', quality, subsampling: '4:4:4', cell: Math.ceil(meta.patchSize / 8) * 8, columns: Math.ceil(Math.sqrt(meta.k)) };
}

export interface Mosaic {
  p: number;
  c: number;
  k: number;
  cell: number;
  columns: number;
  width: number;
  height: number;
}

/** The row image's geometry; a ShardError naming `file` if the metadata's encoding cannot be one. */
export function mosaicOf(meta: Pick<DatasetMeta, 'patchSize' | 'channels' | 'k'>, enc: PatchEncoding, file?: string): Mosaic {
  const p = meta.patchSize;
  const bad = (message: string): never => {
    throw new ShardError(message, { file });
  };
  if (enc.codec !== 'jpeg') bad(`meta.patchEncoding.codec is ${show(enc.codec)}, expected "jpeg"`);
  if (enc.subsampling !== '4:4:4') bad(`meta.patchEncoding.subsampling is ${show(enc.subsampling)}, expected "4:4:4"`);
  if (!Number.isInteger(enc.cell) || enc.cell < p || enc.cell % 8 !== 0) {
    bad(`meta.patchEncoding.cell is ${show(enc.cell)}, expected a multiple of 8 of at least the patch size ${p}`);
  }
  if (!Number.isInteger(enc.columns) || enc.columns < 1 || enc.columns > meta.k) {
    bad(`meta.patchEncoding.columns is ${show(enc.columns)}, expected an integer in [1, k = ${meta.k}]`);
  }
  const width = enc.columns * enc.cell;
  const height = Math.ceil(meta.k / enc.columns) * enc.cell;
  if (width > 65535 || height > 65535) bad(`meta.patchEncoding: a ${width}×${height} mosaic exceeds JPEG's 65535 pixels a side`);
  return { p, c: meta.channels, k: meta.k, cell: enc.cell, columns: enc.columns, width, height };
}

/** Lays k patches (k·p·p·C bytes, HWC) out as the mosaic's pixels (width·height·C bytes) in `out`. */
export function layMosaic(m: Mosaic, patches: Uint8Array, out: Uint8Array): void {
  const { p, c, cell, columns, width } = m;
  out.fill(FILL);
  const line = width * c;
  const patchLine = p * c;
  for (let j = 0; j < m.k; j++) {
    const x0 = (j % columns) * cell;
    const y0 = Math.floor(j / columns) * cell;
    const src = j * p * patchLine;
    for (let y = 0; y < cell; y++) {
      const sy = Math.min(y, p - 1);
      const row = src + sy * patchLine;
      const at = (y0 + y) * line + x0 * c;
      out.set(patches.subarray(row, row + patchLine), at);
      // Right padding: the patch's last pixel of this line, repeated.
      for (let x = p; x < cell; x++) for (let ch = 0; ch < c; ch++) out[at + x * c + ch] = patches[row + (p - 1) * c + ch];
    }
  }
}

/** Cuts the k patches (HWC, k·p·p·C bytes) out of a decoded mosaic into `out` at `at`. */
export function cutMosaic(m: Mosaic, pixels: Uint8Array, out: Uint8Array, at: number): void {
  const { p, c, cell, columns, width } = m;
  const line = width * c;
  const patchLine = p * c;
  for (let j = 0; j < m.k; j++) {
    const x0 = (j % columns) * cell;
    const y0 = Math.floor(j / columns) * cell;
    let dst = at + j * p * patchLine;
    for (let y = 0; y < p; y++, dst += patchLine) {
      const src = (y0 + y) * line + x0 * c;
      out.set(pixels.subarray(src, src + patchLine), dst);
    }
  }
}

/** One row's JPEG: the patches laid out (in `scratch`, width·height·C bytes) and encoded. */
export async function encodeJpegRow(m: Mosaic, quality: number, patches: Uint8Array, scratch: Uint8Array): Promise<Uint8Array> {
  layMosaic(m, patches, scratch);
  const out = await sharp(scratch, { raw: { width: m.width, height: m.height, channels: m.c as 1 | 3 } })
    .toColourspace(m.c === 1 ? 'b-w' : 'srgb')
    .jpeg({ quality, chromaSubsampling: '4:4:4', optimiseCoding: true, progressive: false, mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, quantisationTable: 0 })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Checks a stored JPEG's frame against the mosaic before it is decoded; returns a reason, or null if it fits. */
export function jpegFrameProblem(m: Mosaic, jpeg: Uint8Array): string | null {
  const h = readJpegHeader(jpeg);
  if (h === null) return 'is not a JPEG whose frame header can be read';
  if (h.width !== m.width || h.height !== m.height) return `is ${h.width}×${h.height}, the layout needs ${m.width}×${m.height}`;
  if (h.components !== m.c) return `has ${h.components} components, the dataset ${m.c} channel${m.c === 1 ? '' : 's'}`;
  if (h.orientation !== 1) return `carries EXIF orientation ${h.orientation} (stored patches are never rotated)`;
  return null;
}

/** Decodes one stored JPEG into its k patches at `out[at…]`; throws a ShardError naming `file` and the row. */
export async function decodeJpegRow(m: Mosaic, jpeg: Uint8Array, out: Uint8Array, at: number, file: string, row: number): Promise<void> {
  const problem = jpegFrameProblem(m, jpeg);
  if (problem !== null) throw new ShardError(`column patches: row ${row}'s JPEG ${problem}`, { file });
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(jpeg, { limitInputPixels: m.width * m.height, failOn: 'warning' })
      .toColourspace(m.c === 1 ? 'b-w' : 'srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ShardError(`column patches: row ${row}'s JPEG does not decode: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, { file });
  }
  const { width, height, channels } = decoded.info;
  if (width !== m.width || height !== m.height || channels !== m.c) {
    throw new ShardError(`column patches: row ${row}'s JPEG decodes to ${width}×${height}×${channels}, expected ${m.width}×${m.height}×${m.c}`, { file });
  }
  cutMosaic(m, decoded.data, out, at);
}

/** Decodes rows [0, n) of a JPEG patches column (Arrow binary: n+1 offsets into data) into `out` (n·k·p·p·C bytes). */
export async function decodeJpegRows(m: Mosaic, offsets: Int32Array, data: Uint8Array, n: number, out: Uint8Array, file: string): Promise<void> {
  const rowBytes = m.k * m.p * m.p * m.c;
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < n; i++) jobs.push(decodeJpegRow(m, data.subarray(offsets[i], offsets[i + 1]), out, i * rowBytes, file, i));
  const settled = await Promise.allSettled(jobs);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}
