/**
 * Decodes a score record batch into typed-array views (mirror of encode/scores.ts), checking the
 * values every reader relies on: finite scores, ranks that are permutations.
 */
import { chainColumns, CONTENT_BYTES, gridSize } from '../schema.js';
import type { BatchHeader } from '../ipc.js';
import type { DatasetMeta, ScoreChain } from '../types.js';
import { BatchCursor, f32, readFixedList, readIdLabel, u16, type IdLabel } from './columns.js';
import { readViewColumns, viewColumnCounts, type ViewBatch } from './views.js';

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
  /** Multi-rate datasets: numRows · N scores and ranks of each further chain (meta.rates[1…]). */
  chains: ScoreChain[];
  /** Datasets with meta.views: each row's view, crop box and flip; else null. */
  views: ViewBatch | null;
}

/** Checks that each row of `rank` (numRows · n) is a permutation of [0, n). */
function checkRanks(c: BatchCursor, name: string, rank: Uint16Array, rows: number, n: number): void {
  const seen = new Uint8Array(n);
  for (let r = 0; r < rows; r++) {
    seen.fill(0);
    for (let j = r * n, end = j + n; j < end; j++) {
      const v = rank[j];
      if (v >= n || seen[v] === 1) c.fail(`column ${name}: row ${r} is not a permutation of [0, ${n})`);
      seen[v] = 1;
    }
  }
}

/**
 * Checks that every score is finite: a selector's scores always are, so a NaN or an infinity is a
 * broken dataset (dlth verify refuses it), named by the row's id and patch.
 */
function checkFinite(c: BatchCursor, name: string, scores: Float32Array, ids: readonly string[], n: number): void {
  for (let j = 0; j < scores.length; j++) {
    if (!Number.isFinite(scores[j])) c.fail(`column ${name}: row ${JSON.stringify(ids[Math.floor(j / n)])} has ${scores[j]} at patch ${j % n}; scores must be finite`);
  }
}

export function decodeScoreBatch(header: BatchHeader, body: Uint8Array, meta: DatasetMeta, file: string): ScoreBatch {
  const hashed = meta.contentHash === 'sha256';
  const further = chainColumns(meta);
  // id 1 node / 3 buffers, label 1 / 2, each list column 2 / 3.
  const lists = 2 + 2 * further.length + (hashed ? 1 : 0);
  const extra = viewColumnCounts(meta);
  const c = new BatchCursor(header, body, file, 2 + 2 * lists + extra.nodes, 5 + 3 * lists + extra.buffers);
  const rows = c.numRows;
  const n = gridSize(meta);
  const idLabel = readIdLabel(c);
  const scores = f32(readFixedList(c, 'scores', rows, n, 4));
  const rank = u16(readFixedList(c, 'rank', rows, n, 2));
  checkFinite(c, 'scores', scores, idLabel.ids, n);
  checkRanks(c, 'rank', rank, rows, n);
  const chains = further.map((col) => {
    const chain = { scores: f32(readFixedList(c, col.scores, rows, n, 4)), rank: u16(readFixedList(c, col.rank, rows, n, 2)) };
    checkFinite(c, col.scores, chain.scores, idLabel.ids, n);
    checkRanks(c, col.rank, chain.rank, rows, n);
    return chain;
  });
  const content = hashed ? readFixedList(c, 'content', rows, CONTENT_BYTES, 1) : null;
  const views = readViewColumns(c, meta, rows);
  return { ...idLabel, numRows: rows, n, scores, rank, content, chains, views };
}
