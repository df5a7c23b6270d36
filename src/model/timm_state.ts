/**
 * timm-named, PyTorch-layout state dicts ⇄ our parameters. Strict: every expected key must be
 * present with the expected shape and no key may be left over.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { gridOf, type ViTConfig } from './configs.js';
import type { DenseParams, NormParams } from './layers/params.js';
import { convToPatchMatrix, patchMatrixToConv, transpose2d } from './layout.js';
import type { HostTensor, StateDict } from './safetensors.js';
import { CheckpointError } from '../util/errors.js';
import { namedVariables, variableFrom, type ViTParams } from './weights.js';

/** Shapes timm gives each parameter of this config (PyTorch layout). */
export function timmShapes(c: ViTConfig): Map<string, number[]> {
  const g = gridOf(c);
  const d = c.dim;
  const s = new Map<string, number[]>();
  const lin = (n: string, i: number, o: number, bias = true): void => {
    s.set(`${n}.weight`, [o, i]);
    if (bias) s.set(`${n}.bias`, [o]);
  };
  const ln = (n: string): void => {
    s.set(`${n}.weight`, [d]);
    s.set(`${n}.bias`, [d]);
  };
  if (c.classToken) s.set('cls_token', [1, 1, d]);
  if (c.distilled) s.set('dist_token', [1, 1, d]);
  s.set('pos_embed', [1, g.prefix + g.numPatches, d]);
  s.set('patch_embed.proj.weight', [d, c.channels, c.patchSize, c.patchSize]);
  s.set('patch_embed.proj.bias', [d]);
  for (let i = 0; i < c.depth; i++) {
    ln(`blocks.${i}.norm1`);
    lin(`blocks.${i}.attn.qkv`, d, 3 * d, c.qkvBias);
    lin(`blocks.${i}.attn.proj`, d, d);
    ln(`blocks.${i}.norm2`);
    lin(`blocks.${i}.mlp.fc1`, d, g.mlpDim);
    lin(`blocks.${i}.mlp.fc2`, g.mlpDim, d);
  }
  ln('norm');
  if (c.numClasses > 0) lin('head', d, c.numClasses);
  if (c.distillHead) lin('head_dist', d, c.numClasses);
  return s;
}

/** Our layout of a timm tensor (transposed linear weights, patch matrix). */
function toOurs(name: string, t: HostTensor): HostTensor {
  if (name === 'patch_embed.proj.weight') return convToPatchMatrix(t);
  if (name.endsWith('.weight') && t.shape.length === 2) return transpose2d(t);
  return t;
}

/** Builds variables from a timm state dict. Throws CheckpointError naming the key and shapes. */
export function fromTimmStateDict(c: ViTConfig, sd: StateDict, file: string): ViTParams {
  const expected = timmShapes(c);
  for (const [name, shape] of expected) {
    const t = sd.get(name);
    if (!t) throw new CheckpointError(`missing key ${JSON.stringify(name)} (expected shape [${shape}])`, { file });
    if (t.shape.join() !== shape.join()) throw new CheckpointError(`key ${JSON.stringify(name)} has shape [${t.shape}], the model expects [${shape}]`, { file });
  }
  const extra = [...sd.keys()].filter((k) => !expected.has(k));
  if (extra.length > 0) throw new CheckpointError(`unexpected keys for this model config: ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ', …' : ''}`, { file });
  const v = (name: string): tf.Variable => {
    const t = toOurs(name, sd.get(name) as HostTensor);
    return variableFrom(t.data, [...t.shape]);
  };
  const opt = (name: string): tf.Variable | null => (expected.has(name) ? v(name) : null);
  const dense = (n: string): DenseParams => ({ weight: v(`${n}.weight`), bias: opt(`${n}.bias`) });
  const norm = (n: string): NormParams => ({ weight: v(`${n}.weight`), bias: v(`${n}.bias`) });
  return {
    patchEmbed: dense('patch_embed.proj'),
    clsToken: opt('cls_token'),
    distToken: opt('dist_token'),
    posEmbed: v('pos_embed'),
    blocks: Array.from({ length: c.depth }, (_, i) => ({
      norm1: norm(`blocks.${i}.norm1`),
      attn: { qkv: dense(`blocks.${i}.attn.qkv`), proj: dense(`blocks.${i}.attn.proj`) },
      norm2: norm(`blocks.${i}.norm2`),
      mlp: { fc1: dense(`blocks.${i}.mlp.fc1`), fc2: dense(`blocks.${i}.mlp.fc2`) },
    })),
    norm: norm('norm'),
    head: c.numClasses > 0 ? dense('head') : null,
    headDist: c.distillHead ? dense('head_dist') : null,
  };
}

/** Reads every variable back to the host in timm naming and PyTorch layout (exact). */
export function toTimmStateDict(c: ViTConfig, p: ViTParams): StateDict {
  const out: StateDict = new Map();
  for (const [name, variable] of namedVariables(p)) {
    const t: HostTensor = { shape: [...variable.shape], data: variable.dataSync() as Float32Array };
    if (name === 'patch_embed.proj.weight') out.set(name, patchMatrixToConv(t, c.channels));
    else if (name.endsWith('.weight') && t.shape.length === 2) out.set(name, transpose2d(t));
    else out.set(name, { shape: t.shape, data: Float32Array.from(t.data) });
  }
  return out;
}
