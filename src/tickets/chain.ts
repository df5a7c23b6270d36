/**
 * Which EViT chain of a score dataset a ticket comes from, and what the ticket is of that chain.
 *
 * A score dataset of mode evit stores one chain per rate (meta.rates, or the single
 * `selector.params.rate`). A ticket of k patches is the chain's EViT ticket exactly when k is the
 * chain's survivor count; any other k is a prefix of the chain's rank — not the ticket an EViT at
 * some rate would pick — and is made only when asked for (`rankPrefix`). The ticket dataset's
 * metadata records which (`evitTicket`). Scores of other modes (cls-attn, rollout) are one plain
 * ranking: every k is a prefix of it, there is no chain to choose.
 */
import { chainRates } from '../shards/schema.js';
import type { DatasetMeta, EvitTicket, ScoreRow } from '../shards/types.js';
import { InputError, show } from '../util/errors.js';
import { evitSurvivors } from '../model/evit-counts.js';

export interface ChainChoice {
  /** 0: the `scores`/`rank` columns; j > 0: the row's chains[j − 1]. */
  index: number;
  /** The chain's EViT rate; null for scores of other modes. */
  rate: number | null;
  /** The chain's survivor count; null for scores of other modes. */
  survivors: number | null;
}

function list(rates: readonly number[]): string {
  return rates.map(String).join(', ');
}

/** The chain of `meta` at `rate` (undefined: its only chain). Throws an InputError naming `file` when given. */
export function chooseChain(meta: DatasetMeta, rate: number | undefined, file?: string): ChainChoice {
  const sel = meta.selector;
  if (sel?.mode !== 'evit') {
    if (rate !== undefined) throw new InputError(`rate ${show(rate)}: these scores come from mode ${show(sel?.mode ?? null)}, which has no EViT rate`, { file });
    return { index: 0, rate: null, survivors: null };
  }
  const rates = chainRates(meta);
  const blocks = sel.params.blocks;
  if (!Array.isArray(blocks) || rates.some((r) => !(r > 0 && r <= 1))) throw new InputError('the score dataset does not record its EViT rate and blocks', { file });
  let index = 0;
  if (rate === undefined) {
    if (rates.length > 1) throw new InputError(`stores EViT chains at rates ${list(rates)}: choose one (--rate, or the stage's rate)`, { file });
  } else {
    index = rates.indexOf(rate);
    if (index < 0) throw new InputError(`has no EViT chain at rate ${show(rate)} (it was scored at ${list(rates)}): score at that rate, or choose one of these`, { file });
  }
  const n = meta.grid[0] * meta.grid[1];
  return { index, rate: rates[index], survivors: evitSurvivors(n, rates[index], blocks.length) };
}

/** The row's scores and rank of the chosen chain. */
export function chainRow(row: ScoreRow, choice: ChainChoice): ScoreRow {
  if (choice.index === 0) return row;
  const c = row.chains?.[choice.index - 1];
  if (!c) throw new InputError(`score row ${show(row.id)} has no chain ${choice.index}`);
  return { ...row, scores: c.scores, rank: c.rank };
}

/**
 * The `evitTicket` metadata of a ticket of k patches from the chosen chain; undefined for scores of
 * other modes. A k other than the survivor count needs `rankPrefix`.
 */
export function evitTicketOf(choice: ChainChoice, k: number, rankPrefix: boolean, file?: string): EvitTicket | undefined {
  if (choice.rate === null || choice.survivors === null) return undefined;
  if (k === choice.survivors) return { rate: choice.rate, survivors: choice.survivors, taken: 'survivors' };
  if (!rankPrefix) {
    throw new InputError(
      `k = ${k} is not an EViT ticket: the rate-${choice.rate} chain keeps ${choice.survivors} patches. Use that k (keepFrom "evit-rate"), `
        + 'score at the rate whose chain keeps what you want (several rates in one pass: rate [0.9, 0.8, 0.7]), '
        + 'or ask for a prefix of this chain\'s rank with --rank-prefix (pipeline: rankPrefix), recorded in the metadata',
      { file },
    );
  }
  return { rate: choice.rate, survivors: choice.survivors, taken: 'rank-prefix' };
}
