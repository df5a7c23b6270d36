/** Encodes ticket rows into record batches: id, label, patches, positions, scores (and view, with meta.views). */
import { InputError, show } from '../../util/errors.js';
import type { BatchLayout } from '../ipc.js';
import { gridSize, patchBytes } from '../schema.js';
import type { DatasetMeta, TicketRow } from '../types.js';
import { encodeJpegRow, mosaicOf, type Mosaic } from '../patch-jpeg.js';
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
  /** JPEG-encoded datasets (meta.patchEncoding): each row's JPEG (null until `prepare` encodes it). */
  private readonly jpeg: JpegRows | null;

  constructor(meta: DatasetMeta, readonly capacity: number) {
    this.views = meta.views ? new ViewColumns(meta, capacity) : null;
    this.k = meta.k;
    this.n = gridSize(meta);
    this.patch = patchBytes(meta);
    this.cols = new IdLabelColumns(capacity);
    this.patches = new Uint8Array(capacity * this.k * this.patch);
    this.positions = new Uint16Array(capacity * this.k);
    this.scores = new Float32Array(capacity * this.k);
    this.jpeg = meta.patchEncoding === undefined ? null : new JpegRows(mosaicOf(meta, meta.patchEncoding), meta.patchEncoding.quality, capacity);
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
    // A copy: rows read as views (merge) point into the reader's buffers, reused by its next batch.
    if (this.jpeg) this.jpeg.rows[this.length] = row.encoded?.slice() ?? null;
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
    if (this.jpeg) this.jpeg.rows[this.length] = null;
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

  /** JPEG datasets: encodes every buffered row that arrived without its JPEG. */
  async prepare(): Promise<void> {
    await this.jpeg?.encode(this.patches, this.length, this.k * this.patch);
  }

  layout(): BatchLayout {
    const kn = this.length * this.k;
    const extra = this.views ? this.views.columns(this.length) : NO_COLUMNS;
    if (this.jpeg) {
      const { offsets, data } = this.jpeg.column(this.length);
      return jpegTicketLayout(this.cols, this.k, offsets, data, this.positions.subarray(0, kn), this.scores.subarray(0, kn), extra);
    }
    return ticketLayout(this.cols, this.k, this.patches.subarray(0, kn * this.patch), this.positions.subarray(0, kn), this.scores.subarray(0, kn), extra);
  }

  reset(): void {
    this.cols.reset();
    this.jpeg?.rows.fill(null);
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

/** Rows encoded at once (each with its own mosaic buffer: sharp reads its input while it runs). */
const JPEG_PARALLEL = 4;

/** The JPEG rows of a batch being built, and the binary column they become. */
class JpegRows {
  readonly rows: (Uint8Array | null)[];
  private readonly scratch: Uint8Array[];
  private readonly offsets: Int32Array;
  private data = new Uint8Array(0);

  constructor(private readonly m: Mosaic, private readonly quality: number, capacity: number) {
    this.rows = new Array<Uint8Array | null>(capacity).fill(null);
    this.scratch = Array.from({ length: JPEG_PARALLEL }, () => new Uint8Array(m.width * m.height * m.c));
    this.offsets = new Int32Array(capacity + 1);
  }

  async encode(patches: Uint8Array, n: number, rowBytes: number): Promise<void> {
    const todo: number[] = [];
    for (let i = 0; i < n; i++) if (this.rows[i] === null) todo.push(i);
    for (let at = 0; at < todo.length; at += JPEG_PARALLEL) {
      await Promise.all(todo.slice(at, at + JPEG_PARALLEL).map(async (i, s) => {
        this.rows[i] = await encodeJpegRow(this.m, this.quality, patches.subarray(i * rowBytes, (i + 1) * rowBytes), this.scratch[s]);
      }));
    }
  }

  /** The binary column of rows [0, n): n + 1 offsets and the JPEGs back to back. */
  column(n: number): { offsets: Int32Array; data: Uint8Array } {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const r = this.rows[i];
      if (r === null) throw new InputError(`row ${i} of the batch has no JPEG (the writer must call prepare before layout)`);
      total += r.length;
    }
    if (total > 0x7fffffff) throw new InputError(`a record batch's JPEGs take ${total} bytes, more than a binary column's 2 GiB`);
    if (this.data.length < total) this.data = new Uint8Array(Math.max(total, Math.ceil(this.data.length * 1.25)));
    let at = 0;
    for (let i = 0; i < n; i++) {
      const r = this.rows[i] as Uint8Array;
      this.offsets[i] = at;
      this.data.set(r, at);
      at += r.length;
    }
    this.offsets[n] = at;
    return { offsets: this.offsets.subarray(0, n + 1), data: this.data.subarray(0, at) };
  }
}

/** The layout of a JPEG ticket record batch: id, label, patches (binary: one JPEG per row), positions, scores, then `extra` (views). */
export function jpegTicketLayout(cols: IdLabelColumns, k: number, offsets: Int32Array, data: Uint8Array, positions: Uint16Array, scores: Float32Array, extra: ExtraColumns = NO_COLUMNS): BatchLayout {
  const n = cols.length;
  const kn = n * k;
  return {
    numRows: n,
    nodes: [...cols.nodes(), [n, 0], [n, 0], [kn, 0], [n, 0], [kn, 0], ...extra.nodes],
    buffers: [
      ...cols.buffers(),
      EMPTY, bytes(offsets), data,
      EMPTY, EMPTY, bytes(positions),
      EMPTY, EMPTY, bytes(scores),
      ...extra.buffers,
    ],
  };
}
