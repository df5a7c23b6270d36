/**
 * `evit`: EViT inference without token fusion (the paper's selector). At each pruning block, after
 * attention and before the MLP, the block keeps the top ceil(r·n) of its n patch tokens by its own
 * head-averaged CLS attention (prefix tokens always stay); later blocks see only the survivors.
 * Blocks after the last pruning block cannot change the selection, so they are not run.
 *
 * PatchRanking runs on the host (select.ts) from the downloaded CLS rows: exact ties are then broken by
 * the lower raster index on every backend and batch size (the official torch.topk leaves them
 * unspecified); survivors are gathered best first, like the official `topk(sorted=True)` + gather.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError, show } from '../../util/errors.js';
import type { ViT } from '../../model/vit.js';
import { combineStages, selectStage, type PatchRanking, type PruneStep } from '../select.js';
import { evitKeepCount } from '../../model/evit-counts.js';
import { attentionAt, onlyOptions, takeFloats } from './common.js';
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
  if (blocks.length === 0) throw new InputError('evit: blocks must list at least one block');
  blocks.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0 || b >= depth) throw new InputError(`evit: block ${show(b)} is outside the model's ${depth} blocks`);
    if (i > 0 && b <= blocks[i - 1]) throw new InputError(`evit: blocks must be strictly ascending, got ${show(blocks)}`);
  });
  return rates.map((rate) => ({ rate, blocks: [...blocks] }));
}

/**
 * Host side of one pruning stage for the whole batch: records the stages and returns the rows to
 * keep of the flattened [B·(prefix + n), D] tokens, prefix first, then survivors best first.
 */
function pruneStage(scores: Float32Array, alive: Uint16Array[], stages: PruneStep[][], keep: number, prefix: number): Int32Array {
  const b = alive.length;
  const n = alive[0].length;
  const idx = new Int32Array(b * (prefix + keep));
  for (let i = 0; i < b; i++) {
    const st = selectStage(alive[i], scores.subarray(i * n, (i + 1) * n), keep);
    stages[i].push(st);
    alive[i] = st.order.slice(0, keep);
    const row = i * (prefix + keep);
    const base = i * (prefix + n); // row i of the flattened [B·T, D] tokens
    for (let j = 0; j < prefix; j++) idx[row + j] = base + j;
    for (let j = 0; j < keep; j++) idx[row + prefix + j] = base + prefix + st.local[j];
  }
  return idx;
}

/**
 * Gathers rows of the flattened tokens (a plain axis-0 gather: the wasm backend's batched gather,
 * `batchDims = 1`, reads out of bounds). The input is not disposed.
 */
function gatherRows(x: tf.Tensor3D, rows: Int32Array, shape: [number, number]): tf.Tensor3D {
  const d = x.shape[2];
  return tf.tidy(() => tf.reshape(tf.gather(tf.reshape(x, [-1, d]), tf.tensor1d(rows, 'int32'), 0), [...shape, d]) as tf.Tensor3D);
}

/**
 * One chain at `p.rate` from the shared prefix (the tokens after the first pruning block's
 * attention and its CLS rows; not disposed): prune, then the remaining blocks.
 */
async function chain(model: ViT, shared: { x: tf.Tensor3D; scores: Float32Array }, p: EvitParams): Promise<PatchRanking[]> {
  const { rate } = p;
  const { prefix, numPatches } = model.grid;
  const batch = shared.x.shape[0];
  const prunes = new Set(p.blocks);
  const [first, last] = [p.blocks[0], p.blocks[p.blocks.length - 1]];
  const alive = Array.from({ length: batch }, () => Uint16Array.from({ length: numPatches }, (_, i) => i));
  const stages: PruneStep[][] = Array.from({ length: batch }, () => []);
  let keep = evitKeepCount(numPatches, rate);
  let x = gatherRows(shared.x, pruneStage(shared.scores, alive, stages, keep, prefix), [batch, prefix + keep]);
  try {
    for (let i = first; i <= last; i++) {
      if (i > first) {
        const a = model.blocks[i].forwardAttention(x, { returnClsAttention: prunes.has(i) });
        x.dispose();
        x = a.x;
        if (a.clsAttention) {
          keep = evitKeepCount(alive[0].length, rate);
          const idx = pruneStage(await takeFloats(a.clsAttention), alive, stages, keep, prefix);
          const kept = gatherRows(x, idx, [batch, prefix + keep]);
          x.dispose();
          x = kept;
        }
      }
      if (i === last) break;
      const y = model.blocks[i].forwardMlp(x);
      x.dispose();
      x = y;
    }
  } finally {
    x.dispose();
  }
  return stages.map((st) => combineStages(st, numPatches));
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
  const shared = await attentionAt(model, patches, ps[0].blocks[0]);
  try {
    const out: PatchRanking[][] = [];
    for (const p of ps) out.push(await chain(model, shared, p));
    return out;
  } finally {
    shared.x.dispose();
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
