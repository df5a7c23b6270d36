/**
 * Object masks: an IDX file of unsigned bytes, [N, H, W], nonzero on the object's pixels (what
 * `dlth make-cluttered` writes as `train-masks-idx3-ubyte.gz` / `t10k-masks-idx3-ubyte.gz`).
 * Mask i belongs to image i of the source it was made with (for the `idx` source: sample id
 * `<split>/<i>`, the i-th image of its file).
 */
import { basename } from 'node:path';
import { readIdx } from '../sources/idx_format.js';
import { sha256Hex } from '../util/hash.js';
import type { MaskRecord } from '../shards/types.js';

export interface MaskSet {
  file: string;
  count: number;
  height: number;
  width: number;
  /** count · height · width bytes, mask i at [i·H·W, (i+1)·H·W). */
  data: Uint8Array;
  /** sha256 of the three dimensions (big-endian uint32) and the bytes: independent of gzip, for metadata. */
  sha256: string;
}

export async function readMasks(file: string): Promise<MaskSet> {
  const idx = await readIdx(file, 3);
  const [count, height, width] = idx.dims;
  const header = Buffer.alloc(12);
  idx.dims.forEach((d, i) => header.writeUInt32BE(d, 4 * i));
  return { file, count, height, width, data: idx.data, sha256: sha256Hex(Buffer.concat([header, idx.data])) };
}

/** Mask i (a view, no copy). */
export function maskAt(set: MaskSet, i: number): Uint8Array {
  const px = set.height * set.width;
  return set.data.subarray(i * px, (i + 1) * px);
}

/** What metadata records of a mask file: its name (not its directory: the same data gives the same dataset anywhere), size and hash. */
export function maskRecord(set: MaskSet): MaskRecord {
  return { file: basename(set.file), count: set.count, size: [set.height, set.width], sha256: set.sha256 };
}
