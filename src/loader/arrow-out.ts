/**
 * Loader batches as an Arrow IPC stream, in one of the views (views.ts). The sparse view is the
 * shard schema itself (same columns, types and `dlth` metadata), laid out and framed by the shard
 * encoder (ticketLayout, frameBatch), so `dlth stream` cannot drift from the shards; the other views
 * replace the patch columns by `patches`/`coords`/`mask` (naflex) or one `image` column (zero,
 * packed) and name the view under the schema-metadata key `dlth.view`. Labels of −1 become nulls.
 * A dataset with K views (meta.views) adds the `view` column (uint8) last, in every stream view:
 * which of the image's views each row is.
 */
import { Field, FixedSizeList, Float32, Int32, Schema, Uint16, Uint8, Utf8, type DataType } from 'apache-arrow';
import { bytes, EMPTY, IdLabelColumns } from '../shards/encode/columns.js';
import { NO_COLUMNS, type ExtraColumns } from '../shards/encode/views.js';
import { ticketLayout } from '../shards/encode/tickets.js';
import { encodeSchemaMessage, EOS, frameBatch, type BatchLayout } from '../shards/ipc.js';
import { arrowSchema } from '../shards/schema.js';
import { METADATA_KEY, type DatasetMeta } from '../shards/types.js';
import { canonicalJson } from '../util/hash.js';
import type { Batch } from './batch.js';
import { NO_LABEL } from './resident.js';
import { checkNaflexLength, naflexRows, normaliseTable, packedImages, packedSide, viewGeometry, zeroImages, type ViewGeometry, type ViewName } from './views.js';

export const VIEW_METADATA_KEY = 'dlth.view';

export interface StreamView {
  name: ViewName;
  /** naflex: patches per row after padding (default k). */
  maxPatches?: number;
}

/** The meta a stream records: its batches are never compressed and its patches raw (decoded), whatever the dataset's shards were. */
function streamMeta(meta: DatasetMeta): DatasetMeta {
  const { compression: _, patchEncoding: __, ...rest } = meta;
  return rest;
}

const list = (type: DataType, size: number): FixedSizeList => new FixedSizeList(size, new Field('item', type, false));

export class ArrowStreamEncoder {
  private cols = new IdLabelColumns(0);
  private readonly g: ViewGeometry;
  private readonly table: Float32Array;
  private floats = new Float32Array(0);
  private naflex = { patches: new Uint8Array(0), coords: new Uint16Array(0), mask: new Uint8Array(0) };

  /** `k`: patches per row of the batches (the dataset's k, or the loader's subset size). */
  constructor(readonly meta: DatasetMeta, readonly view: StreamView = { name: 'sparse' }, k = meta.k) {
    this.g = viewGeometry(meta, k);
    this.table = normaliseTable(meta);
    if (view.name === 'packed') packedSide(k);
    if (view.name === 'naflex') checkNaflexLength(this.length(), k);
  }

  private length(): number {
    return this.view.maxPatches ?? this.g.k;
  }

  /** Values per row of the `image` column (zero, packed). */
  private imageSize(): number {
    const { p, c, gh, gw, k } = this.g;
    return this.view.name === 'zero' ? c * gh * p * gw * p : c * k * p * p;
  }

  schema(): Schema {
    if (this.view.name === 'sparse') return arrowSchema(streamMeta(this.meta));
    const metadata = new Map([[METADATA_KEY, canonicalJson(streamMeta(this.meta))], [VIEW_METADATA_KEY, canonicalJson(this.view)]]);
    const head = [new Field('id', new Utf8(), false), new Field('label', new Int32(), true)];
    const view = this.meta.views ? [new Field('view', new Uint8(), false)] : [];
    if (this.view.name === 'naflex') {
      const L = this.length();
      const pb = this.g.p * this.g.p * this.g.c;
      return new Schema([...head, new Field('patches', list(list(new Uint8(), pb), L), false), new Field('coords', list(new Uint16(), 2 * L), false),
        new Field('mask', list(new Uint8(), L), false), ...view], metadata);
    }
    return new Schema([...head, new Field('image', list(new Float32(), this.imageSize()), false), ...view], metadata);
  }

  schemaMessage(): Uint8Array {
    return encodeSchemaMessage(this.schema());
  }

  endOfStream(): Uint8Array {
    return EOS;
  }

  /** The framed record batch (header, then padded body buffers). Views stay valid until the next call. */
  encode(batch: Batch): Uint8Array[] {
    if (this.cols.capacity < batch.size) this.cols = new IdLabelColumns(batch.size);
    this.cols.reset();
    for (let i = 0; i < batch.size; i++) this.cols.append(batch.ids[i] as string, batch.labels[i] === NO_LABEL ? null : (batch.labels[i] as number));
    return frameBatch(this.layout(batch));
  }

  /** The `view` column of a dataset with views (which view each row is), else none. */
  private viewColumn(batch: Batch): ExtraColumns {
    return this.meta.views ? { nodes: [[batch.size, 0]], buffers: [EMPTY, batch.views] } : NO_COLUMNS;
  }

  private layout(batch: Batch): BatchLayout {
    const n = batch.size;
    const view = this.viewColumn(batch);
    switch (this.view.name) {
      case 'sparse':
        return ticketLayout(this.cols, this.g.k, batch.patches, batch.positions, batch.scores, view);
      case 'naflex':
        return this.naflexLayout(batch, view);
      case 'zero':
      case 'packed': {
        const d = this.imageSize();
        if (this.floats.length < n * d) this.floats = new Float32Array(n * d);
        if (this.view.name === 'zero') zeroImages(n, batch.patches, batch.positions, this.g, this.table, this.floats);
        else packedImages(n, batch.patches, this.g, this.table, this.floats);
        return {
          numRows: n,
          nodes: [...this.cols.nodes(), [n, 0], [n * d, 0], ...view.nodes],
          buffers: [...this.cols.buffers(), EMPTY, EMPTY, bytes(this.floats.subarray(0, n * d)), ...view.buffers],
        };
      }
    }
  }

  private naflexLayout(batch: Batch, view: ExtraColumns): BatchLayout {
    const n = batch.size;
    const L = this.length();
    const pb = this.g.p * this.g.p * this.g.c;
    if (this.naflex.mask.length < n * L) this.naflex = { patches: new Uint8Array(n * L * pb), coords: new Uint16Array(n * L * 2), mask: new Uint8Array(n * L) };
    naflexRows(n, batch.patches, batch.positions, this.g, L, this.naflex);
    const { patches, coords, mask } = this.naflex;
    return {
      numRows: n,
      nodes: [...this.cols.nodes(), [n, 0], [n * L, 0], [n * L * pb, 0], [n, 0], [n * 2 * L, 0], [n, 0], [n * L, 0], ...view.nodes],
      buffers: [
        ...this.cols.buffers(),
        EMPTY, EMPTY, EMPTY, patches.subarray(0, n * L * pb),
        EMPTY, EMPTY, bytes(coords.subarray(0, n * 2 * L)),
        EMPTY, EMPTY, mask.subarray(0, n * L),
        ...view.buffers,
      ],
    };
  }
}
