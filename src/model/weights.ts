/**
 * The ViT's parameters (`ViTParams`), their deterministic initialisation (`initWeights`) and
 * lifetime helpers. Each parameter is a tf.Variable; `namedVariables` lists them under timm names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gridOf, type ViTConfig } from './configs.js';
import type { BlockParams, DenseParams, NormParams } from './layers/params.js';
import { mulberry32, truncNormal, uniform } from './rng.js';

export interface ViTParams {
  /** [p·p·C, D], input rows in (row, col, channel) order. */
  patchEmbed: DenseParams;
  /** [1, 1, D] */
  clsToken: tf.Variable | null;
  /** [1, 1, D], DeiT distillation token. */
  distToken: tf.Variable | null;
  /** [1, prefix + numPatches, D]: prefix tokens' rows first, then the patch grid in raster order. */
  posEmbed: tf.Variable;
  blocks: BlockParams[];
  norm: NormParams;
  /** null when numClasses is 0 (no head). */
  head: DenseParams | null;
  headDist: DenseParams | null;
}

/** A trainable variable holding a copy of `data` (the temporary tensor is freed at once). */
export function variableFrom(data: Float32Array, shape: number[]): tf.Variable {
  const t = tf.tensor(data, shape, 'float32');
  try {
    return tf.variable(t, true);
  } finally {
    t.dispose();
  }
}

/** One tensor the initialisation asks for: its values (drawn when called, in request order) and shape. */
export interface TensorRequest {
  data: () => Float32Array;
  shape: number[];
}

/** The plan of a model's initialisation: yields each tensor it needs, receives the variable made of it. */
export type WeightPlan = Generator<TensorRequest, ViTParams, tf.Variable>;

function* tensor(data: () => Float32Array, shape: number[]): Generator<TensorRequest, tf.Variable, tf.Variable> {
  return yield { data, shape };
}

/**
 * The initial weights' scheme, by timm's `weight_init` names: `timm` (timm's default, '' there)
 * draws every Linear weight from trunc_normal(std .02); `jax` (the original JAX/Flax ViT's) uses
 * xavier_uniform for the Linear layers, lecun_normal for the patch projection and a zero head, which
 * on a small model trained from scratch leaves the first plateau much sooner (docs/trainer.md).
 */
export const WEIGHT_INITS = ['timm', 'jax'] as const;
export type WeightInit = (typeof WEIGHT_INITS)[number];

/** What a Linear layer is, for the schemes that treat them differently. */
type DenseRole = 'attn' | 'mlp' | 'head';

function* denseInit(inDim: number, outDim: number, bias: boolean, rand: () => number, init: WeightInit, role: DenseRole): Generator<TensorRequest, DenseParams, tf.Variable> {
  if (init === 'timm') {
    const weight = yield* tensor(() => truncNormal(inDim * outDim, 0.02, rand), [inDim, outDim]);
    return { weight, bias: bias ? yield* tensor(() => new Float32Array(outDim), [outDim]) : null };
  }
  // timm init_weights_vit_jax: the head all zeros; other Linear weights xavier_uniform
  // (±√(6 / (fan_in + fan_out))), biases zero except the MLP's, normal(1e-6).
  if (role === 'head') {
    const weight = yield* tensor(() => new Float32Array(inDim * outDim), [inDim, outDim]);
    return { weight, bias: bias ? yield* tensor(() => new Float32Array(outDim), [outDim]) : null };
  }
  const weight = yield* tensor(() => uniform(inDim * outDim, Math.sqrt(6 / (inDim + outDim)), rand), [inDim, outDim]);
  if (!bias) return { weight, bias: null };
  return { weight, bias: yield* tensor(() => (role === 'mlp' ? truncNormal(outDim, 1e-6, rand) : new Float32Array(outDim)), [outDim]) };
}

function* normInit(d: number): Generator<TensorRequest, NormParams, tf.Variable> {
  return { weight: yield* tensor(() => new Float32Array(d).fill(1), [d]), bias: yield* tensor(() => new Float32Array(d), [d]) };
}

/**
 * Random weights like timm's VisionTransformer init. `timm` (its default): Linear weights
 * trunc_normal(std .02) and zero biases, patch projection uniform(±1/√fan_in) (PyTorch's Conv2d
 * default). `jax` (timm's `weight_init='jax'`): see denseInit; the patch projection lecun_normal
 * (trunc_normal of std √(1/fan_in) / .8796 cut at 2σ) with a zero bias. Both: LayerNorm ones/zeros,
 * pos_embed and dist_token trunc_normal(.02), cls_token normal(1e-6). Deterministic by seed and
 * scheme: the one order of draws that `initWeights` and the interruptible builder
 * (trainer/init.ts) both drain.
 */
export function* weightPlan(config: ViTConfig, seed: number, init: WeightInit = 'timm'): WeightPlan {
  const rand = mulberry32(seed);
  const g = gridOf(config);
  const d = config.dim;
  const bound = 1 / Math.sqrt(g.patchDim);
  const patchEmbed =
    init === 'timm'
      ? { weight: yield* tensor(() => uniform(g.patchDim * d, bound, rand), [g.patchDim, d]), bias: yield* tensor(() => uniform(d, bound, rand), [d]) }
      : { weight: yield* tensor(() => truncNormal(g.patchDim * d, Math.sqrt(1 / g.patchDim) / 0.87962566103423978, rand), [g.patchDim, d]), bias: yield* tensor(() => new Float32Array(d), [d]) };
  const blocks: BlockParams[] = [];
  for (let i = 0; i < config.depth; i++) {
    const norm1 = yield* normInit(d);
    const attn = { qkv: yield* denseInit(d, 3 * d, config.qkvBias, rand, init, 'attn'), proj: yield* denseInit(d, d, true, rand, init, 'attn') };
    const norm2 = yield* normInit(d);
    blocks.push({ norm1, attn, norm2, mlp: { fc1: yield* denseInit(d, g.mlpDim, true, rand, init, 'mlp'), fc2: yield* denseInit(g.mlpDim, d, true, rand, init, 'mlp') } });
  }
  const tokens = g.prefix + g.numPatches;
  return {
    patchEmbed,
    clsToken: config.classToken ? yield* tensor(() => truncNormal(d, 1e-6, rand), [1, 1, d]) : null,
    distToken: config.distilled ? yield* tensor(() => truncNormal(d, 0.02, rand), [1, 1, d]) : null,
    posEmbed: yield* tensor(() => truncNormal(tokens * d, 0.02, rand), [1, tokens, d]),
    blocks,
    norm: yield* normInit(d),
    head: config.numClasses > 0 ? yield* denseInit(d, config.numClasses, true, rand, init, 'head') : null,
    headDist: config.distillHead ? yield* denseInit(d, config.numClasses, true, rand, init, 'head') : null,
  };
}

/** The model's initial weights, made in one synchronous run (see weightPlan). */
export function initWeights(config: ViTConfig, seed: number, init: WeightInit = 'timm'): ViTParams {
  const plan = weightPlan(config, seed, init);
  let step = plan.next();
  while (!step.done) step = plan.next(variableFrom(step.value.data(), step.value.shape));
  return step.value;
}

/** Every parameter under its timm name, in a stable order (timm's state_dict order). */
export function namedVariables(p: ViTParams): [string, tf.Variable][] {
  const out: [string, tf.Variable][] = [];
  const add = (name: string, x: tf.Variable | null): void => {
    if (x) out.push([name, x]);
  };
  const addDense = (name: string, d: DenseParams): void => {
    add(`${name}.weight`, d.weight);
    add(`${name}.bias`, d.bias);
  };
  add('cls_token', p.clsToken);
  add('dist_token', p.distToken);
  add('pos_embed', p.posEmbed);
  addDense('patch_embed.proj', p.patchEmbed);
  p.blocks.forEach((b, i) => {
    addDense(`blocks.${i}.norm1`, b.norm1);
    addDense(`blocks.${i}.attn.qkv`, b.attn.qkv);
    addDense(`blocks.${i}.attn.proj`, b.attn.proj);
    addDense(`blocks.${i}.norm2`, b.norm2);
    addDense(`blocks.${i}.mlp.fc1`, b.mlp.fc1);
    addDense(`blocks.${i}.mlp.fc2`, b.mlp.fc2);
  });
  addDense('norm', p.norm);
  if (p.head) addDense('head', p.head);
  if (p.headDist) addDense('head_dist', p.headDist);
  return out;
}

export function disposeParams(p: ViTParams): void {
  for (const [, x] of namedVariables(p)) x.dispose();
}
