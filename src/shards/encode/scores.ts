/** Encodes score rows into record batches: id, label, scores [N], rank [N], further chains, content, and with meta.views view, box, flip. */
import { InputError, show } from '../../util/errors.js';
import type { BatchLayout } from '../ipc.js';
import { chainColumns, CONTENT_BYTES, gridSize } from '../schema.js';
import type { DatasetMeta, ScoreRow } from '../types.js';
import { bytes, EMPTY, IdLabelColumns } from './columns.js';
import type { BatchEncoder } from './encoder.js';
import { NO_COLUMNS, ViewColumns } from './views.js';

/** Checks that `rank` is a permutation of [0, n). */
export function checkRankPermutation(id: string, rank: Uint16Array, n: number, seen: Uint8Array): void {
  if (rank.length !== n) throw new InputError(`row ${show(id)}: rank has ${rank.length} entries, expected N = ${n}`);
  seen.fill(0, 0, n);
  for (let j = 0; j < n; j++) {
    const r = rank[j];
    if (r >= n || seen[r] === 1) throw new InputError(`row ${show(id)}: rank is not a permutation of [0, ${n}) (entry ${j} = ${r})`);
    seen[r] = 1;
  }
}

export class ScoreEncoder implements BatchEncoder<ScoreRow> {
  private readonly cols: IdLabelColumns;
  private readonly scores: Float32Array;
  private readonly rank: Uint16Array;
  private readonly seen: Uint8Array;
  private readonly n: number;
  /** Content hashes, when the dataset records them (meta.contentHash). */
  private readonly content: Uint8Array | null;
  /** Further chains of a multi-rate dataset (meta.rates[1…]), in column order. */
  private readonly chains: { scores: Float32Array; rank: Uint16Array }[];
  /** The view columns (datasets with meta.views), else null. */
  private readonly views: ViewColumns | null;

  constructor(meta: DatasetMeta, readonly capacity: number) {
    this.views = meta.views ? new ViewColumns(meta, capacity) : null;
    this.n = gridSize(meta);
    this.cols = new IdLabelColumns(capacity);
    this.scores = new Float32Array(capacity * this.n);
    this.rank = new Uint16Array(capacity * this.n);
    this.chains = chainColumns(meta).map(() => ({ scores: new Float32Array(capacity * this.n), rank: new Uint16Array(capacity * this.n) }));
    this.seen = new Uint8Array(this.n);
    this.content = meta.contentHash === 'sha256' ? new Uint8Array(capacity * CONTENT_BYTES) : null;
  }

  get length(): number {
    return this.cols.length;
  }

  append(row: ScoreRow): void {
    if (row.scores.length !== this.n) {
      throw new InputError(`row ${show(row.id)}: ${row.scores.length} scores, expected N = ${this.n}`);
    }
    checkRankPermutation(row.id, row.rank, this.n, this.seen);
    const chains = row.chains ?? [];
    if (chains.length !== this.chains.length) {
      throw new InputError(`row ${show(row.id)}: ${chains.length + 1} EViT chain(s), the dataset stores ${this.chains.length + 1} (meta.rates)`);
    }
    for (const c of chains) {
      if (c.scores.length !== this.n) throw new InputError(`row ${show(row.id)}: a chain has ${c.scores.length} scores, expected N = ${this.n}`);
      checkRankPermutation(row.id, c.rank, this.n, this.seen);
    }
    const i = this.length;
    if (this.content) {
      if (row.content === undefined || row.content.length !== CONTENT_BYTES) throw new InputError(`row ${show(row.id)}: needs a ${CONTENT_BYTES}-byte content hash (the dataset records them)`);
      this.content.set(row.content, i * CONTENT_BYTES);
    } else if (row.content !== undefined) {
      throw new InputError(`row ${show(row.id)}: has a content hash, but the dataset does not record them (meta.contentHash)`);
    }
    if (this.views) this.views.set(row.id, i, row.view);
    else if (row.view !== undefined) throw new InputError(`row ${show(row.id)}: has a view, but the dataset has no views (meta.views)`);
    this.scores.set(row.scores, i * this.n);
    this.rank.set(row.rank, i * this.n);
    chains.forEach((c, j) => {
      this.chains[j].scores.set(c.scores, i * this.n);
      this.chains[j].rank.set(c.rank, i * this.n);
    });
    this.cols.append(row.id, row.label);
  }

  layout(): BatchLayout {
    const n = this.length;
    const total = n * this.n;
    const content: { nodes: [number, number][]; buffers: Uint8Array[] } = this.content
      ? { nodes: [[n, 0], [n * CONTENT_BYTES, 0]], buffers: [EMPTY, EMPTY, this.content.subarray(0, n * CONTENT_BYTES)] }
      : { nodes: [], buffers: [] };
    const views = this.views ? this.views.columns(n) : NO_COLUMNS;
    return {
      numRows: n,
      nodes: [...this.cols.nodes(), [n, 0], [total, 0], [n, 0], [total, 0], ...this.chains.flatMap((): [number, number][] => [[n, 0], [total, 0], [n, 0], [total, 0]]), ...content.nodes, ...views.nodes],
      buffers: [
        ...this.cols.buffers(),
        EMPTY, EMPTY, bytes(this.scores.subarray(0, total)),
        EMPTY, EMPTY, bytes(this.rank.subarray(0, total)),
        ...this.chains.flatMap((c) => [EMPTY, EMPTY, bytes(c.scores.subarray(0, total)), EMPTY, EMPTY, bytes(c.rank.subarray(0, total))]),
        ...content.buffers,
        ...views.buffers,
      ],
    };
  }

  reset(): void {
    this.cols.reset();
  }
}
