/** Encodes ticket rows into record batches: id, label, patches, positions, scores (and view, with meta.views). */
import { InputError, show } from '../../util/errors.js';
import type { BatchLayout } from '../ipc.js';
import { gridSize, patchBytes } from '../schema.js';
import type { DatasetMeta, TicketRow } from '../types.js';
import { bytes, EMPTY, IdLabelColumns } from './columns.js';
import type { BatchEncoder } from './encoder.js';
import { NO_COLUMNS, ViewColumns, type ExtraColumns } from './views.js';

/** Checks that `positions` are k strictly ascending indices in [0, n). */
export function checkPositions(id: string, positions: Uint16Array, k: number, n: number): void {
  if (positions.length !== k) throw new InputError(`row ${show(id)}: ${positions.length} positions, expected k = ${k}`);
  let prev = -1;
  for (let j = 0; j < k; j++) {
    const p = positions[j];
    if (p <= prev || p >= n) {
      throw new InputError(`row ${show(id)}: position ${p} at ${j} is not ascending within [0, ${n})`);
    }
    prev = p;
  }
}

export class TicketEncoder implements BatchEncoder<TicketRow> {
  private readonly cols: IdLabelColumns;
  private readonly patches: Uint8Array;
  private readonly positions: Uint16Array;
  private readonly scores: Float32Array;
  private readonly k: number;
  private readonly n: number;
  private readonly patch: number;
  /** The view column (datasets with meta.views), else null. */
  private readonly views: ViewColumns | null;

  constructor(meta: DatasetMeta, readonly capacity: number) {
    this.views = meta.views ? new ViewColumns(meta, capacity) : null;
    this.k = meta.k;
    this.n = gridSize(meta);
    this.patch = patchBytes(meta);
    this.cols = new IdLabelColumns(capacity);
    this.patches = new Uint8Array(capacity * this.k * this.patch);
    this.positions = new Uint16Array(capacity * this.k);
    this.scores = new Float32Array(capacity * this.k);
  }

  get length(): number {
    return this.cols.length;
  }

  append(row: TicketRow): void {
    const rowPatch = this.k * this.patch;
    if (row.patches.length !== rowPatch) {
      throw new InputError(`row ${show(row.id)}: ${row.patches.length} patch bytes, expected k·p·p·C = ${rowPatch}`);
    }
    this.patches.set(row.patches, this.length * rowPatch);
    this.appendMeta(row.id, row.label, row.positions, row.scores, row.view);
  }

  /** Appends a row whose patches are gathered from a full grid (N patches in raster order); `view`: its view index (meta.views). */
  appendFromGrid(id: string, label: number | null, grid: Uint8Array, positions: Uint16Array, scores: Float32Array, view?: number): void {
    if (grid.length !== this.n * this.patch) {
      throw new InputError(`row ${show(id)}: grid has ${grid.length} bytes, expected N·p·p·C = ${this.n * this.patch}`);
    }
    checkPositions(id, positions, this.k, this.n);
    const p = this.patch;
    let at = this.length * this.k * p;
    for (let j = 0; j < this.k; j++, at += p) {
      const src = positions[j] * p;
      this.patches.set(grid.subarray(src, src + p), at);
    }
    this.appendMeta(id, label, positions, scores, view);
  }

  private appendMeta(id: string, label: number | null, positions: Uint16Array, scores: Float32Array, view: number | undefined): void {
    checkPositions(id, positions, this.k, this.n);
    if (scores.length !== this.k) throw new InputError(`row ${show(id)}: ${scores.length} scores, expected k = ${this.k}`);
    const i = this.length;
    if (this.views) this.views.set(id, i, view);
    else if (view !== undefined && view !== 0) throw new InputError(`row ${show(id)}: view ${show(view)}, but the dataset has no views (meta.views)`);
    this.positions.set(positions, i * this.k);
    this.scores.set(scores, i * this.k);
    this.cols.append(id, label);
  }

  layout(): BatchLayout {
    const kn = this.length * this.k;
    const extra = this.views ? this.views.columns(this.length) : NO_COLUMNS;
    return ticketLayout(this.cols, this.k, this.patches.subarray(0, kn * this.patch), this.positions.subarray(0, kn), this.scores.subarray(0, kn), extra);
  }

  reset(): void {
    this.cols.reset();
  }
}

/**
 * The one layout of a ticket record batch (id, label, patches, positions, scores, then `extra`:
 * the view column of datasets with views): field nodes and body buffers, from the id/label columns
 * and the rows' flat arrays. The shard writer and `dlth stream` (src/loader/arrow-out.ts) both
 * encode through it.
 */
export function ticketLayout(cols: IdLabelColumns, k: number, patches: Uint8Array, positions: Uint16Array, scores: Float32Array, extra: ExtraColumns = NO_COLUMNS): BatchLayout {
  const n = cols.length;
  const kn = n * k;
  return {
    numRows: n,
    nodes: [...cols.nodes(), [n, 0], [kn, 0], [patches.byteLength, 0], [n, 0], [kn, 0], [n, 0], [kn, 0], ...extra.nodes],
    buffers: [
      ...cols.buffers(),
      EMPTY, EMPTY, EMPTY, patches,
      EMPTY, EMPTY, bytes(positions),
      EMPTY, EMPTY, bytes(scores),
      ...extra.buffers,
    ],
  };
}
