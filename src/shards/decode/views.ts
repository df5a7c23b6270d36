/**
 * The view columns of a record batch (mirror of encode/views.ts): `view` of every row, checked to
 * be < K, and for score rows `box` and `flip`, checked to be a crop (view 0: [0, 0, 0, 0], unflipped;
 * other views: a non-empty box) and 0 or 1.
 */
import { ShardError, show } from '../../util/errors.js';
import { BOX_VALUES } from '../schema.js';
import { DatasetKind, type DatasetMeta } from '../types.js';
import { readFixedList, type BatchCursor } from './columns.js';

export interface ViewBatch {
  /** numRows view indices. */
  view: Uint8Array;
  /** Score rows: numRows · 4 box values (left, top, width, height), and numRows flips (0 or 1); else null. */
  box: Uint32Array | null;
  flip: Uint8Array | null;
}

/** Field nodes and buffers the view columns add to a batch of this dataset. */
export function viewColumnCounts(meta: DatasetMeta): { nodes: number; buffers: number } {
  if (!meta.views) return { nodes: 0, buffers: 0 };
  return meta.kind === DatasetKind.Scores ? { nodes: 4, buffers: 7 } : { nodes: 1, buffers: 2 };
}

function readBytes(c: BatchCursor, name: string, rows: number): Uint8Array {
  c.nextNode(name, rows, 0);
  c.skipValidity(name);
  return c.nextBuffer(name, rows);
}

function checkViews(c: BatchCursor, view: Uint8Array, count: number): void {
  for (let r = 0; r < view.length; r++) if (view[r] >= count) c.fail(`column view: row ${r} has view ${view[r]}, the dataset has ${count} (meta.views.count)`);
}

function checkCrops(c: BatchCursor, v: Required<{ [K in keyof ViewBatch]: NonNullable<ViewBatch[K]> }>): void {
  for (let r = 0; r < v.view.length; r++) {
    const [w, h] = [v.box[r * BOX_VALUES + 2], v.box[r * BOX_VALUES + 3]];
    const plain = v.box[r * BOX_VALUES] === 0 && v.box[r * BOX_VALUES + 1] === 0 && w === 0 && h === 0;
    if (v.flip[r] > 1) c.fail(`column flip: row ${r} has ${v.flip[r]}, expected 0 or 1`);
    if (v.view[r] === 0 ? !plain || v.flip[r] !== 0 : w === 0 || h === 0) c.fail(`column box: row ${r} (view ${v.view[r]}) has a box that is not ${v.view[r] === 0 ? '[0, 0, 0, 0] unflipped (the plain view)' : 'a non-empty crop'}`);
  }
}

/** Reads the view columns (after every other column), or null for a dataset without views. */
export function readViewColumns(c: BatchCursor, meta: DatasetMeta, rows: number): ViewBatch | null {
  if (!meta.views) return null;
  const view = readBytes(c, 'view', rows);
  checkViews(c, view, meta.views.count);
  if (meta.kind !== DatasetKind.Scores) return { view, box: null, flip: null };
  const raw = readFixedList(c, 'box', rows, BOX_VALUES, 4);
  const box = new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength >> 2);
  const flip = readBytes(c, 'flip', rows);
  checkCrops(c, { view, box, flip });
  return { view, box, flip };
}

/**
 * The order every reader relies on: in each shard, rows r·K … r·K + K − 1 are views 0…K−1 of one
 * image (one id). Fed the batches of one shard in order; throws a ShardError naming `file`.
 */
export class ViewGroups {
  private row = 0;
  private id = '';

  constructor(private readonly count: number, private readonly file: string) {}

  check(ids: readonly string[], view: Uint8Array): void {
    for (let i = 0; i < ids.length; i++, this.row++) {
      const want = this.row % this.count;
      if (view[i] !== want) throw new ShardError(`row ${this.row} has view ${view[i]}, expected ${want}: each image's rows are its views 0…${this.count - 1} in order`, { file: this.file });
      if (want === 0) this.id = ids[i];
      else if (ids[i] !== this.id) throw new ShardError(`row ${this.row} (view ${want}) has id ${show(ids[i])}, its view 0 has ${show(this.id)}`, { file: this.file });
    }
  }
}
