/**
 * Forward-only lookup of score rows by id, for policies that need them. The score dataset and the
 * source share the sorted-id order, so the cursor only moves forward; lookups are serialised.
 * Rows come with the scores and rank of one chain (`chain`; see tickets/chain.ts). A score dataset
 * whose values `dlth verify` rejects (a non-finite score, a rank that is not a permutation) is
 * refused whole when opened, naming the shard and the row, before any ticket is written: its
 * tickets would be a dataset verify rejects. One pass over the scores, small beside decoding the images.
 */
import { openDataset, scoreBatches, type Dataset } from '../shards/reader.js';
import { scoreRows } from '../shards/rows.js';
import { DatasetKind, type ScoreRow } from '../shards/types.js';
import { InputError, show } from '../util/errors.js';
import { chainRow, chooseChain, type ChainChoice } from './chain.js';

/** Decodes every batch, which checks the values (decode/scores.ts): throws ShardError naming the shard and row. */
async function checkValues(dataset: Dataset): Promise<void> {
  for await (const _ of scoreBatches(dataset)) {
    // decoding is the check
  }
}

export class ScoreCursor {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly rows: AsyncGenerator<ScoreRow>;
  private pending: ScoreRow | null = null;

  constructor(readonly dataset: Dataset, readonly chain: ChainChoice) {
    this.rows = scoreRows(dataset);
  }

  /** Opens a score dataset on its chain at `rate` (undefined: its only chain). */
  static async open(dir: string, rate?: number): Promise<ScoreCursor> {
    const dataset = await openDataset(dir, { kind: DatasetKind.Scores });
    const chain = chooseChain(dataset.meta, rate, dataset.store.location);
    await checkValues(dataset);
    return new ScoreCursor(dataset, chain);
  }

  /** The score row of `id` (of its view `view` in a dataset with views), skipping rows before it. */
  get(id: string, view?: number): Promise<ScoreRow> {
    const next = this.queue.then(() => this.advance(id, view ?? 0));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async advance(id: string, view: number): Promise<ScoreRow> {
    for (;;) {
      if (!this.pending) {
        const { value, done } = await this.rows.next();
        if (done) break;
        this.pending = value;
      }
      const row = this.pending;
      const at = row.view?.index ?? 0;
      if (row.id === id && at === view) {
        this.pending = null;
        return chainRow(row, this.chain);
      }
      // Sorted by (id, view): the score dataset has no row for this one.
      if (row.id > id || (row.id === id && at > view)) break;
      this.pending = null;
    }
    const which = this.dataset.meta.views ? ` view ${view}` : '';
    throw new InputError(`no score row for id ${show(id)}${which}`, { file: this.dataset.store.location });
  }

  async close(): Promise<void> {
    await this.rows.return(undefined);
  }
}
