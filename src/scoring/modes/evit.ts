/**
 * `evit`: EViT inference without token fusion (the paper's selector). At each pruning block, after
 * attention and before the MLP, the block keeps the top ceil(r·n) of its n patch tokens by its own
 * head-averaged CLS attention (prefix tokens always stay); later blocks see only the survivors.
 * Blocks after the last pruning block cannot change the selection, so they are not run. The
 * forward is the model's (`model/evit.ts`, shared with the trainer's EViT evaluation); this mode
 * ranks the tokens at each pruning block.
 *
 * PatchRanking runs on the host (select.ts) from the downloaded CLS rows: exact ties are then broken by
 * the lower raster index on every backend and batch size (the official torch.topk leaves them
 * unspecified); survivors are gathered best first, like the official `topk(sorted=True)` + gather.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError, show } from '../../util/errors.js';
import type { ViT } from '../../model/vit.js';
import { combineStages, selectStage, type PatchRanking, type PruneStep } from '../select.js';
import { checkEvitBlocks, EvitPass } from '../../model/evit.js';
import { onlyOptions, takeFloats } from './common.js';
import { ModeName, type ModeFactory, type ModeOptions } from './types.js';

export const EVIT_DEFAULT_RATE = 0.7;

/**
 * Default pruning blocks: the quarter points of the depth, floor(d/4), floor(d/2), floor(3d/4)
 * (deduplicated, at least block 0) — [3, 6, 9] for depth 12 as in EViT/DeiT, [1, 2, 3] for depth 4,
 * [1, 3, 4] for depth 6. Every stage has blocks of context before it, and the chain has three stages
 * at any depth ≥ 4, so ticket sizes (k ≈ r³·N) mean the same thing across model sizes.
 */
export function defaultEvitBlocks(depth: number): number[] {
  const q = [Math.floor(depth / 4), Math.floor(depth / 2), Math.floor((3 * depth) / 4)].map((b) => Math.max(0, Math.min(depth - 1, b)));
  return [...new Set(q)];
}

interface EvitParams {
  rate: number;
  blocks: number[];
}

/** At most this many chains per pass (each adds its pruned blocks to the batch's compute). */
export const MAX_EVIT_RATES = 16;

function checkRate(rate: unknown): number {
  if (!(typeof rate === 'number' && rate > 0 && rate <= 1)) throw new InputError(`evit: rate must be in (0, 1], got ${show(rate)}`);
  return rate;
}

/** The rates of `options.rate`: one number, or a list of distinct ones (one chain each). */
export function evitRates(rate: number | number[] | undefined): number[] {
  if (!Array.isArray(rate)) return [checkRate(rate ?? EVIT_DEFAULT_RATE)];
  if (rate.length === 0 || rate.length > MAX_EVIT_RATES) throw new InputError(`evit: give 1 to ${MAX_EVIT_RATES} rates, got ${rate.length}`);
  const rates = rate.map(checkRate);
  if (new Set(rates).size !== rates.length) throw new InputError(`evit: rates ${show(rates)} repeat a rate (one chain per rate)`);
  return rates;
}

function resolveEvit(depth: number, options: ModeOptions): EvitParams[] {
  onlyOptions(ModeName.Evit, options, ['rate', 'blocks']);
  const rates = evitRates(options.rate);
  const blocks = options.blocks ?? defaultEvitBlocks(depth);
  checkEvitBlocks(blocks, depth, ModeName.Evit);
  return rates.map((rate) => ({ rate, blocks: [...blocks] }));
}

/**
 * Host side of one pruning stage for the whole batch: records the stages and returns the patch
 * tokens to keep [B, keep] (indices into the stage's sequence, best first).
 */
function pruneStage(scores: Float32Array, alive: Uint16Array[], stages: PruneStep[][], keep: number): tf.Tensor2D {
  const b = alive.length;
  const n = alive[0].length;
  const local = new Int32Array(b * keep);
  for (let i = 0; i < b; i++) {
    const st = selectStage(alive[i], scores.subarray(i * n, (i + 1) * n), keep);
    stages[i].push(st);
    alive[i] = st.order.slice(0, keep);
    local.set(st.local.subarray(0, keep), i * keep);
  }
  return tf.tensor2d(local, [b, keep], 'int32');
}

/** The pass after keeping, at `rate`, the tokens `scores` rank best (not disposed). */
function keepBest(pass: EvitPass, scores: Float32Array, rate: number, chain: { alive: Uint16Array[]; stages: PruneStep[][] }): EvitPass {
  const keep = pruneStage(scores, chain.alive, chain.stages, pass.keepCount(rate));
  try {
    return pass.keep(keep);
  } finally {
    keep.dispose();
  }
}

/**
 * One chain at `rate` from the shared pass (paused at the first pruning block, with its CLS rows
 * `scores`; not disposed): prune there, then at every later pruning block; the blocks after the
 * last one are not run.
 */
async function chain(shared: EvitPass, scores: Float32Array, rate: number, numPatches: number): Promise<PatchRanking[]> {
  const batch = shared.x.shape[0];
  const state = {
    alive: Array.from({ length: batch }, () => Uint16Array.from({ length: numPatches }, (_, i) => i)),
    stages: Array.from({ length: batch }, (): PruneStep[] => []),
  };
  let pass = keepBest(shared, scores, rate, state);
  try {
    while (pass.paused()) {
      const next = keepBest(pass, await takeFloats(pass.clsAttention.clone()), rate, state);
      pass.dispose();
      pass = next;
    }
  } finally {
    pass.dispose();
  }
  return state.stages.map((st) => combineStages(st, numPatches));
}

/**
 * True EViT tickets at several rates in one pass: one chain per rate on the same batch, sharing
 * the embedding, the blocks before the first pruning block and its attention (the chains diverge
 * only after the first prune). Returns [rate][image]; each chain equals the single-rate mode's.
 */
export async function evitChains(model: ViT, patches: tf.Tensor3D, rates: readonly number[], blocks?: number[]): Promise<PatchRanking[][]> {
  return runChains(model, patches, resolveEvit(model.config.depth, { rate: [...rates], blocks }));
}

async function runChains(model: ViT, patches: tf.Tensor3D, ps: readonly EvitParams[]): Promise<PatchRanking[][]> {
  // Shared by every rate: the chains diverge only after the first prune.
  const shared = EvitPass.start(model, patches, ps[0].blocks);
  try {
    const scores = await takeFloats(shared.clsAttention.clone());
    const out: PatchRanking[][] = [];
    for (const p of ps) out.push(await chain(shared, scores, p.rate, model.grid.numPatches));
    return out;
  } finally {
    shared.dispose();
  }
}

/**
 * One rate (a number): params `{rate, blocks}`. Several (a list, even of one): params
 * `{rate: [...], blocks}` and one chain per rate per batch (`scoreChains`), stored side by side.
 */
export const evitMode: ModeFactory = (model: ViT, options: ModeOptions) => {
  const ps = resolveEvit(model.config.depth, options);
  const multi = Array.isArray(options.rate) && ps.length > 1;
  return {
    name: ModeName.Evit,
    params: { rate: multi ? ps.map((p) => p.rate) : ps[0].rate, blocks: ps[0].blocks },
    async score(patches: tf.Tensor3D): Promise<PatchRanking[]> {
      return (await runChains(model, patches, ps.slice(0, 1)))[0];
    },
    ...(multi ? { scoreChains: (patches: tf.Tensor3D) => runChains(model, patches, ps) } : {}),
  };
};
