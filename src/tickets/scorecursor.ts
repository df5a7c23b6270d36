/**
 * Forward-only lookup of score rows by id, for policies that need them. The score dataset and the
 * source share the sorted-id order, so the cursor only moves forward; lookups are serialised.
 */
import { openDataset, type Dataset } from '../shards/reader.js';
import { scoreRows } from '../shards/rows.js';
import { DatasetKind, type ScoreRow } from '../shards/types.js';
import { InputError, show } from '../util/errors.js';

export class ScoreCursor {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly rows: AsyncGenerator<ScoreRow>;
  private pending: ScoreRow | null = null;

  constructor(readonly dataset: Dataset) {
    this.rows = scoreRows(dataset);
  }

  static async open(dir: string): Promise<ScoreCursor> {
    return new ScoreCursor(await openDataset(dir, { kind: DatasetKind.Scores }));
  }

  /** The score row of `id`, skipping rows of ids before it. */
  get(id: string): Promise<ScoreRow> {
    const next = this.chain.then(() => this.advance(id));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async advance(id: string): Promise<ScoreRow> {
    for (;;) {
      if (!this.pending) {
        const { value, done } = await this.rows.next();
        if (done) break;
        this.pending = value;
      }
      const row = this.pending;
      if (row.id === id) {
        this.pending = null;
        return row;
      }
      if (row.id > id) break; // sorted ids: the score dataset has no row for this id
      this.pending = null;
    }
    throw new InputError(`no score row for id ${show(id)}`, { file: this.dataset.store.location });
  }

  async close(): Promise<void> {
    await this.rows.return(undefined);
  }
}
