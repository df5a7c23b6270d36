/**
 * Our config from a timm checkpoint: the hub's `config.json` ({architecture, num_classes,
 * pretrained_cfg: {input_size, mean, std, crop_pct, interpolation, …}, model_args?}) and the shapes
 * of the state dict, which fix everything but the head count (from model_args, else the
 * architecture's size name, else timm's width convention). vit_* and deit_* only (incl. distilled).
 */
import { resolveConfig, type ViTConfig } from './configs.js';
import { SUPPORTED_CHECKPOINTS } from './hf_config.js';
import { CheckpointError, show } from '../util/errors.js';

/** The fields of timm's pretrained_cfg this code reads. */
export interface TimmPretrainedCfg {
  input_size?: number[];
  mean?: number[];
  std?: number[];
  crop_pct?: number;
  crop_mode?: string;
  interpolation?: string;
}

export interface TimmConfigJson {
  architecture?: string;
  num_classes?: number;
  global_pool?: string;
  model_args?: { num_heads?: number; img_size?: number | number[]; global_pool?: string; class_token?: boolean };
  pretrained_cfg?: TimmPretrainedCfg;
}

/** A timm hub config.json: it names an `architecture` (HF configs name `model_type`). */
export function isTimmConfig(j: Record<string, unknown>): boolean {
  return typeof j.architecture === 'string';
}

const HEADS_BY_SIZE: Record<string, number> = { tiny: 3, small: 6, medium: 8, base: 12, large: 16, huge: 16 };
const HEADS_BY_DIM: Record<number, number> = { 192: 3, 384: 6, 512: 8, 768: 12, 1024: 16, 1280: 16 };
/** Parts of other timm ViT families our model does not have. */
const FOREIGN_KEYS: [RegExp, string][] = [
  [/^reg_token$/, 'register tokens'], [/^norm_pre\./, 'a pre-norm (CLIP style)'], [/^fc_norm\./, 'a pooled-feature norm (global_pool avg)'],
  [/^attn_pool\./, 'attention pooling'], [/\.ls[12]\.(gamma|weight)$/, 'LayerScale'], [/\.q_norm\./, 'q/k norms'],
];

type Shapes = Map<string, { shape: number[] }>;

function shapeOf(shapes: Shapes, key: string, file: string): number[] {
  const t = shapes.get(key) ?? shapes.get(`module.${key}`);
  if (!t) throw new CheckpointError(`timm checkpoint without ${show(key)}`, { file });
  return t.shape;
}

function headCount(j: TimmConfigJson, dim: number, file: string): number {
  const fromArgs = j.model_args?.num_heads;
  if (typeof fromArgs === 'number') return fromArgs;
  const size = /_(tiny|small|medium|base|large|huge)_/.exec(j.architecture ?? '')?.[1];
  const heads = size ? HEADS_BY_SIZE[size] : HEADS_BY_DIM[dim];
  if (heads === undefined) throw new CheckpointError(`cannot tell the head count of ${show(j.architecture)} (width ${dim}): add model_args.num_heads to config.json`, { file });
  return heads;
}

function checkTimmArchitecture(j: TimmConfigJson, shapes: Shapes, file: string): void {
  const arch = j.architecture ?? '';
  if (!/^(vit|deit)_/.test(arch)) throw new CheckpointError(`found timm architecture ${show(arch)}; supported: ${SUPPORTED_CHECKPOINTS}`, { file });
  const pool = j.global_pool ?? j.model_args?.global_pool ?? 'token';
  if (pool !== 'token') throw new CheckpointError(`timm ${arch} pools with ${show(pool)}; supported: class-token models (${SUPPORTED_CHECKPOINTS})`, { file });
  for (const [re, what] of FOREIGN_KEYS) {
    const key = [...shapes.keys()].find((k) => re.test(k.replace(/^module\./, '')));
    if (key) throw new CheckpointError(`timm ${arch} has ${what} (${key}); supported: ${SUPPORTED_CHECKPOINTS}`, { file });
  }
}

/** Image size: pretrained_cfg.input_size, else model_args.img_size, else the square grid of pos_embed. */
function imageSizeOf(j: TimmConfigJson, tokens: number, prefix: number, patch: number): [number, number] {
  const input = j.pretrained_cfg?.input_size;
  if (Array.isArray(input) && input.length === 3) return [input[1], input[2]];
  const arg = j.model_args?.img_size;
  if (typeof arg === 'number') return [arg, arg];
  if (Array.isArray(arg) && arg.length === 2) return [arg[0], arg[1]];
  const side = Math.round(Math.sqrt(tokens - prefix)) * patch;
  return [side, side];
}

export function configFromTimm(j: TimmConfigJson, shapes: Shapes, file: string): ViTConfig {
  checkTimmArchitecture(j, shapes, file);
  const [dim, channels, patchSize] = shapeOf(shapes, 'patch_embed.proj.weight', file);
  const has = (k: string): boolean => shapes.has(k) || shapes.has(`module.${k}`);
  const distilled = has('dist_token');
  const prefix = (has('cls_token') ? 1 : 0) + (distilled ? 1 : 0);
  let depth = 0;
  while (has(`blocks.${depth}.attn.qkv.weight`)) depth++;
  const mlp = shapeOf(shapes, 'blocks.0.mlp.fc1.weight', file)[0];
  const head = has('head.weight') ? shapeOf(shapes, 'head.weight', file)[0] : 0;
  const pre = j.pretrained_cfg ?? {};
  try {
    return resolveConfig({
      imageSize: imageSizeOf(j, shapeOf(shapes, 'pos_embed', file)[1], prefix, patchSize),
      patchSize, channels, dim, depth, heads: headCount(j, dim, file), mlpRatio: mlp / dim, numClasses: head,
      layerNormEps: 1e-6, qkvBias: has('blocks.0.attn.qkv.bias'), distilled, distillHead: has('head_dist.weight'),
      ...(pre.mean ? { mean: pre.mean } : {}), ...(pre.std ? { std: pre.std } : {}),
    });
  } catch (err) {
    throw new CheckpointError(`timm ${j.architecture}: ${(err as Error).message}`, { file, cause: err });
  }
}
