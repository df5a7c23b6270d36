/** Decodes a ticket record batch into typed-array views (mirror of encode/tickets.ts). */
import { gridSize, patchBytes } from '../schema.js';
import type { BatchHeader } from '../ipc.js';
import type { DatasetMeta, PatchEncoding } from '../types.js';
import { BatchCursor, f32, i32, readFixedList, readIdLabel, u16, type IdLabel } from './columns.js';
import { readViewColumns, viewColumnCounts } from './views.js';
import { decodeJpegRows, mosaicOf } from '../patch-jpeg.js';
import type { ReadBuffers } from './stream.js';

export interface TicketBatch extends IdLabel {
  numRows: number;
  k: number;
  /** Bytes per patch, p·p·C. */
  patchBytes: number;
  /** numRows · k · patchBytes bytes. */
  patches: Uint8Array;
  /** numRows · k ascending raster indices. */
  positions: Uint16Array;
  /** numRows · k scores. */
  scores: Float32Array;
  /** numRows view indices (datasets with meta.views), else null. */
  views: Uint8Array | null;
  /** JPEG-encoded datasets: the stored column (numRows + 1 offsets into data), as read. */
  encoded?: { offsets: Int32Array; data: Uint8Array };
}

/**
 * A ticket record batch's columns, every value checked. A JPEG-encoded dataset's patches are
 * decoded (asynchronously) into `buffers.ensurePixels`: `patches` is then what a raw dataset would
 * hold, and `encoded` the stored JPEGs.
 */
export function decodeTicketBatch(header: BatchHeader, body: Uint8Array, meta: DatasetMeta, file: string, buffers?: ReadBuffers): TicketBatch | Promise<TicketBatch> {
  if (meta.patchEncoding !== undefined) return decodeJpegTicketBatch(header, body, meta, meta.patchEncoding, file, buffers);
  const extra = viewColumnCounts(meta);
  const c = new BatchCursor(header, body, file, 9 + extra.nodes, 15 + extra.buffers);
  const n = c.numRows;
  const k = meta.k;
  const p = patchBytes(meta);
  const idLabel = readIdLabel(c);
  c.nextNode('patches', n, 0);
  c.nextNode('patches.item', n * k, 0);
  c.nextNode('patches.item.item', n * k * p, 0);
  c.skipValidity('patches');
  c.skipValidity('patches.item');
  c.skipValidity('patches.item.item');
  const patches = c.nextBuffer('patches', n * k * p);
  return { ...idLabel, numRows: n, k, patchBytes: p, patches, ...readRest(c, meta, n) };
}

/** The columns after `patches` (positions, scores, the view column of datasets with views), checked. */
function readRest(c: BatchCursor, meta: DatasetMeta, n: number): Pick<TicketBatch, 'positions' | 'scores' | 'views'> {
  const k = meta.k;
  const positions = u16(readFixedList(c, 'positions', n, k, 2));
  const scores = f32(readFixedList(c, 'scores', n, k, 4));
  const views = readViewColumns(c, meta, n)?.view ?? null;
  checkPositionsBatch(c, positions, n, k, gridSize(meta));
  return { positions, scores, views };
}

async function decodeJpegTicketBatch(header: BatchHeader, body: Uint8Array, meta: DatasetMeta, enc: PatchEncoding, file: string, buffers: ReadBuffers | undefined): Promise<TicketBatch> {
  const m = mosaicOf(meta, enc, file);
  const extra = viewColumnCounts(meta);
  const c = new BatchCursor(header, body, file, 7 + extra.nodes, 14 + extra.buffers);
  const n = c.numRows;
  const k = meta.k;
  const p = patchBytes(meta);
  const idLabel = readIdLabel(c);
  c.nextNode('patches', n, 0);
  c.skipValidity('patches');
  const offsets = i32(c.nextBuffer('patches', 4 * (n + 1)));
  const data = c.nextBuffer('patches', 0, true);
  if (offsets[0] !== 0) c.fail(`column patches: first offset ${offsets[0]}, expected 0`);
  for (let i = 0; i < n; i++) {
    if (!(offsets[i + 1] > offsets[i] && offsets[i + 1] <= data.length)) c.fail(`column patches: bad offsets [${offsets[i]}, ${offsets[i + 1]}) at row ${i} (a row's JPEG is never empty)`);
  }
  const rest = readRest(c, meta, n);
  const patches = buffers ? buffers.ensurePixels(n * k * p) : new Uint8Array(n * k * p);
  await decodeJpegRows(m, offsets, data, n, patches, file);
  return { ...idLabel, numRows: n, k, patchBytes: p, patches, ...rest, encoded: { offsets, data } };
}

/** Every row's positions strictly ascending (hence unique) within [0, N). */
function checkPositionsBatch(c: BatchCursor, positions: Uint16Array, n: number, k: number, grid: number): void {
  for (let r = 0; r < n; r++) {
    let prev = -1;
    for (let j = r * k, end = j + k; j < end; j++) {
      const v = positions[j];
      if (v <= prev || v >= grid) {
        c.fail(`column positions: row ${r} has ${v} at ${j - r * k}, not strictly ascending within [0, ${grid})`);
      }
      prev = v;
    }
  }
}
