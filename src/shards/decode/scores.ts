/** Decodes a score record batch into typed-array views (mirror of encode/scores.ts). */
import { CONTENT_BYTES, gridSize } from '../schema.js';
import type { BatchHeader } from '../ipc.js';
import type { DatasetMeta } from '../types.js';
import { BatchCursor, f32, readFixedList, readIdLabel, u16, type IdLabel } from './columns.js';

export interface ScoreBatch extends IdLabel {
  numRows: number;
  /** N, patches in the full grid. */
  n: number;
  /** numRows · N scores in raster order. */
  scores: Float32Array;
  /** numRows · N raster indices, best first (each row a permutation of [0, N)). */
  rank: Uint16Array;
  /** numRows · 32 bytes of content hashes, or null when the dataset records none. */
  content: Uint8Array | null;
}

export function decodeScoreBatch(header: BatchHeader, body: Uint8Array, meta: DatasetMeta, file: string): ScoreBatch {
  const hashed = meta.contentHash === 'sha256';
  const c = new BatchCursor(header, body, file, hashed ? 8 : 6, hashed ? 14 : 11);
  const rows = c.numRows;
  const n = gridSize(meta);
  const idLabel = readIdLabel(c);
  const scores = f32(readFixedList(c, 'scores', rows, n, 4));
  const rank = u16(readFixedList(c, 'rank', rows, n, 2));
  const content = hashed ? readFixedList(c, 'content', rows, CONTENT_BYTES, 1) : null;
  const seen = new Uint8Array(n);
  for (let r = 0; r < rows; r++) {
    seen.fill(0);
    for (let j = r * n, end = j + n; j < end; j++) {
      const v = rank[j];
      if (v >= n || seen[v] === 1) c.fail(`column rank: row ${r} is not a permutation of [0, ${n})`);
      seen[v] = 1;
    }
  }
  return { ...idLabel, numRows: rows, n, scores, rank, content };
}
