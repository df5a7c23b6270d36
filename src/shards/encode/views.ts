/**
 * The view columns of datasets with views (meta.views; schema.ts viewFields): `view` (uint8) of
 * every row, and for score rows `box` (uint32 [4]) and `flip` (uint8), in preallocated buffers
 * reused for every record batch.
 */
import { InputError, show } from '../../util/errors.js';
import { BOX_VALUES } from '../schema.js';
import { DatasetKind, type DatasetMeta, type RowView } from '../types.js';
import { bytes, EMPTY } from './columns.js';

/** Field nodes and body buffers a batch appends after its other columns. */
export interface ExtraColumns {
  nodes: Array<[number, number]>;
  buffers: Uint8Array[];
}

export const NO_COLUMNS: ExtraColumns = { nodes: [], buffers: [] };

export class ViewColumns {
  readonly view: Uint8Array;
  private readonly box: Uint32Array | null;
  private readonly flip: Uint8Array | null;
  private readonly count: number;

  constructor(meta: DatasetMeta, capacity: number) {
    this.count = meta.views?.count ?? 1;
    this.view = new Uint8Array(capacity);
    const scores = meta.kind === DatasetKind.Scores;
    this.box = scores ? new Uint32Array(capacity * BOX_VALUES) : null;
    this.flip = scores ? new Uint8Array(capacity) : null;
  }

  /** Sets row `i`'s view: an index (ticket rows) or a RowView (score rows: index, box, flip). */
  set(id: string, i: number, view: number | RowView | undefined): void {
    const index = typeof view === 'number' ? view : view?.index;
    if (index === undefined || !Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new InputError(`row ${show(id)}: view ${show(index ?? null)}, expected an index in [0, ${this.count}) (meta.views.count)`);
    }
    this.view[i] = index;
    if (!this.box || !this.flip) return;
    if (typeof view !== 'object') throw new InputError(`row ${show(id)}: a score row with views needs its crop box and flip`);
    const plain = view.box.every((x) => x === 0);
    if (view.box.length !== BOX_VALUES || !view.box.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff) || plain !== (index === 0) || (plain && view.flip)) {
      throw new InputError(`row ${show(id)}: view ${index} has box ${show(view.box)}${view.flip ? ' flipped' : ''}; view 0 has [0, 0, 0, 0] unflipped, the others a non-empty box`);
    }
    this.box.set(view.box, i * BOX_VALUES);
    this.flip[i] = view.flip ? 1 : 0;
  }

  /** The first `n` rows' nodes and buffers. */
  columns(n: number): ExtraColumns {
    const view: ExtraColumns = { nodes: [[n, 0]], buffers: [EMPTY, this.view.subarray(0, n)] };
    if (!this.box || !this.flip) return view;
    return {
      nodes: [...view.nodes, [n, 0], [n * BOX_VALUES, 0], [n, 0]],
      buffers: [...view.buffers, EMPTY, EMPTY, bytes(this.box.subarray(0, n * BOX_VALUES)), EMPTY, this.flip.subarray(0, n)],
    };
  }
}
