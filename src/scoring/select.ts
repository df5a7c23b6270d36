/**
 * Pure token selection (no tensors): plain top-k, one EViT pruning stage, and the hierarchical
 * EViT ticket and rank assembled from the stages.
 *
 * Order everywhere: higher score first; equal scores (and NaN, which sorts last) by lower raster
 * index first, so a selection never depends on the order tokens sit in a sequence, on the batch
 * size or on the backend's top-k.
 *
 * Definitions (the score dataset's contract, see schemas/README.md):
 * - EViT stage s keeps the top `ceil(r · n_s)` of its n_s non-CLS tokens by that block's
 *   head-averaged CLS attention (exactly `math.ceil(keep_rate * (N - 1))` of the official code).
 * - ticket = the tokens that survive every stage.
 * - rank = survivors by the last stage's score, then the tokens dropped at the last stage by that
 *   stage's score, then those dropped at the stage before by its score, …, then those dropped at
 *   the first stage. It is a permutation of all N patches; its first `survivors` entries are the ticket.
 * - per-patch score = the score at the last stage the patch took part in (survivors: the last
 *   stage; a patch dropped at stage s: stage s). Scores of different stages are not comparable
 *   (each is a softmax over a different token set), which is why the rank, not the score, orders patches.
 */
import { InputError } from '../util/errors.js';
import { evitKeepCount } from '../model/evit-counts.js';

/** -1 when token a (score sa, raster ra) goes before token b. NaN sorts after every number. */
function before(sa: number, ra: number, sb: number, rb: number): number {
  const na = Number.isNaN(sa);
  const nb = Number.isNaN(sb);
  if (na !== nb) return na ? 1 : -1;
  if (!na && sa !== sb) return sa > sb ? -1 : 1;
  return ra - rb;
}

/**
 * Local indices 0…n-1 of `scores` ordered best first (ties and NaN: lower `raster[i]` first;
 * `raster` defaults to the identity).
 */
export function orderByScore(scores: ArrayLike<number>, raster?: ArrayLike<number>): Uint16Array {
  const n = scores.length;
  if (raster && raster.length !== n) throw new InputError(`${n} scores but ${raster.length} raster indices`);
  const idx = Array.from({ length: n }, (_, i) => i);
  const r = raster ?? idx;
  idx.sort((a, b) => before(scores[a], r[a], scores[b], r[b]));
  return Uint16Array.from(idx);
}

/** Plain top-k: the raster indices of the `k` best of N scores, best first. */
export function topK(scores: ArrayLike<number>, k: number): Uint16Array {
  if (!Number.isInteger(k) || k < 0 || k > scores.length) throw new InputError(`k = ${k} is outside 0..${scores.length}`);
  return orderByScore(scores).slice(0, k);
}

/** Sorted copy of positions, ascending, with the scores that belong to them. */
export function ascending(positions: ArrayLike<number>, scoreOf: ArrayLike<number>): { positions: Uint16Array; scores: Float32Array } {
  const sorted = Uint16Array.from(positions).sort();
  const scores = new Float32Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) scores[i] = scoreOf[sorted[i]];
  return { positions: sorted, scores };
}

/** One EViT stage over the tokens that took part in it. */
export interface PruneStep {
  /** Raster indices of the stage's tokens, best first (the kept ones are the first `kept`). */
  order: Uint16Array;
  /** Indices into the stage's input sequence, in the same order (what a model gathers). */
  local: Uint16Array;
  /** The stage's scores, aligned with `order`. */
  scores: Float32Array;
  kept: number;
}

/** Ranks a stage's tokens (raster indices `tokens`, scores aligned) and keeps the best `keep`. */
export function selectStage(tokens: ArrayLike<number>, scores: ArrayLike<number>, keep: number): PruneStep {
  const n = tokens.length;
  if (scores.length !== n) throw new InputError(`stage has ${n} tokens but ${scores.length} scores`);
  if (!Number.isInteger(keep) || keep < 1 || keep > n) throw new InputError(`stage keep = ${keep} is outside 1..${n}`);
  const local = orderByScore(scores, tokens);
  const order = new Uint16Array(n);
  const sorted = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = tokens[local[i]];
    sorted[i] = scores[local[i]];
  }
  return { order, local, scores: sorted, kept: keep };
}

/** What a scoring mode produces per image: the score dataset row minus id and label. */
export interface PatchRanking {
  /** N raster indices, best first. */
  rank: Uint16Array;
  /** N scores in raster order (see the definition at the top of this file). */
  scores: Float32Array;
  /** Length of the rank prefix that is the mode's own ticket (EViT survivors; N for cls-attn). */
  survivors: number;
}

/** Assembles the rank and per-patch scores of N patches from consecutive EViT stages. */
export function combineStages(stages: readonly PruneStep[], n: number): PatchRanking {
  if (stages.length === 0) throw new InputError('at least one stage is needed');
  if (stages[0].order.length !== n) throw new InputError(`the first stage has ${stages[0].order.length} tokens, expected N = ${n}`);
  const rank = new Uint16Array(n);
  const scores = new Float32Array(n);
  let at = 0;
  for (let s = stages.length - 1; s >= 0; s--) {
    const st = stages[s];
    const from = s === stages.length - 1 ? 0 : st.kept;
    if (s < stages.length - 1 && stages[s + 1].order.length !== st.kept) {
      throw new InputError(`stage ${s + 1} has ${stages[s + 1].order.length} tokens, but stage ${s} kept ${st.kept}`);
    }
    for (let i = from; i < st.order.length; i++) {
      rank[at++] = st.order[i];
      scores[st.order[i]] = st.scores[i];
    }
  }
  return { rank, scores, survivors: stages[stages.length - 1].kept };
}

/** A single, unpruned stage (cls-attn, rollout): rank = all N by score; every patch "survives". */
export function singleStage(scores: ArrayLike<number>): PatchRanking {
  const n = scores.length;
  return { rank: orderByScore(scores), scores: Float32Array.from(scores), survivors: n };
}

/**
 * Reference EViT selection on hand-built maps: `maps[s][p]` is the score patch p would get at
 * stage s; each stage sees only the survivors of the previous one. Same result as the model modes
 * give when their attention equals the maps (used by tests and as executable documentation).
 */
export function evitFromMaps(maps: readonly ArrayLike<number>[], rate: number): PatchRanking {
  const n = maps[0]?.length ?? 0;
  let alive: Uint16Array = Uint16Array.from({ length: n }, (_, i) => i);
  const stages: PruneStep[] = [];
  for (const map of maps) {
    if (map.length !== n) throw new InputError(`maps have different lengths (${map.length} vs ${n})`);
    const st = selectStage(alive, Array.from(alive, (p) => map[p]), evitKeepCount(alive.length, rate));
    stages.push(st);
    alive = st.order.slice(0, st.kept);
  }
  return combineStages(stages, n);
}
