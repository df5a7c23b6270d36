/**
 * Row iterators over the batch iterators. By default each row owns copies of its arrays; with
 * `view: true` rows are zero-copy views, valid only until the iterator moves past their batch.
 */
import { labelAt } from './decode/columns.js';
import { BOX_VALUES, CONTENT_BYTES } from './schema.js';
import type { ScoreBatch } from './decode/scores.js';
import type { TicketBatch } from './decode/tickets.js';
import { scoreBatches, ticketBatches, type Dataset, type ReadOptions } from './reader.js';
import type { ScoreRow, TicketRow } from './types.js';

export interface RowOptions extends ReadOptions {
  view?: boolean;
}

export function ticketRowAt(b: TicketBatch, i: number, view = false): TicketRow {
  const k = b.k;
  const patches = b.patches.subarray(i * k * b.patchBytes, (i + 1) * k * b.patchBytes);
  const positions = b.positions.subarray(i * k, (i + 1) * k);
  const scores = b.scores.subarray(i * k, (i + 1) * k);
  const row: TicketRow = view
    ? { id: b.ids[i], label: labelAt(b, i), patches, positions, scores }
    : { id: b.ids[i], label: labelAt(b, i), patches: patches.slice(), positions: positions.slice(), scores: scores.slice() };
  if (b.views) row.view = b.views[i];
  if (b.encoded) {
    const e = b.encoded.data.subarray(b.encoded.offsets[i], b.encoded.offsets[i + 1]);
    row.encoded = view ? e : e.slice();
  }
  return row;
}

export function scoreRowAt(b: ScoreBatch, i: number, view = false): ScoreRow {
  const scores = b.scores.subarray(i * b.n, (i + 1) * b.n);
  const rank = b.rank.subarray(i * b.n, (i + 1) * b.n);
  const row: ScoreRow = { id: b.ids[i], label: labelAt(b, i), scores: view ? scores : scores.slice(), rank: view ? rank : rank.slice() };
  if (b.content) {
    const c = b.content.subarray(i * CONTENT_BYTES, (i + 1) * CONTENT_BYTES);
    row.content = view ? c : c.slice();
  }
  if (b.chains.length > 0) {
    row.chains = b.chains.map((ch) => {
      const s = ch.scores.subarray(i * b.n, (i + 1) * b.n);
      const r = ch.rank.subarray(i * b.n, (i + 1) * b.n);
      return view ? { scores: s, rank: r } : { scores: s.slice(), rank: r.slice() };
    });
  }
  const v = b.views;
  if (v?.box && v.flip) {
    const at = i * BOX_VALUES;
    row.view = { index: v.view[i], box: [v.box[at], v.box[at + 1], v.box[at + 2], v.box[at + 3]], flip: v.flip[i] === 1 };
  }
  return row;
}

export async function* ticketRows(ds: Dataset, options: RowOptions = {}): AsyncGenerator<TicketRow> {
  for await (const b of ticketBatches(ds, options)) {
    for (let i = 0; i < b.numRows; i++) yield ticketRowAt(b, i, options.view);
  }
}

export async function* scoreRows(ds: Dataset, options: RowOptions = {}): AsyncGenerator<ScoreRow> {
  for await (const b of scoreBatches(ds, options)) {
    for (let i = 0; i < b.numRows; i++) yield scoreRowAt(b, i, options.view);
  }
}
