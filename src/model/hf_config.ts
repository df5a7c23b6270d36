/**
 * Our config from a Hugging Face ViT/DeiT `config.json`, for every class with that backbone:
 * ViTModel, ViTForImageClassification, DeiTModel, DeiTForImageClassification and
 * DeiTForImageClassificationWithTeacher. The head's structure is read from the weights (which
 * classifier keys exist), not from `num_labels`; anything else is refused in one line naming what
 * was found and what is supported.
 */
import { resolveConfig, type ViTConfig, type ViTConfigInput } from './configs.js';
import { CheckpointError, show } from '../util/errors.js';

/** The fields of a Hugging Face ViT/DeiT `config.json` this mapping reads. */
export interface HfVitConfigJson {
  model_type?: string;
  architectures?: string[];
  image_size?: number | [number, number];
  patch_size?: number;
  num_channels?: number;
  hidden_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  intermediate_size?: number;
  layer_norm_eps?: number;
  qkv_bias?: boolean;
  hidden_act?: string;
  id2label?: Record<string, string>;
  num_labels?: number;
}

export const HF_CLASSES = ['ViTModel', 'ViTForImageClassification', 'DeiTModel', 'DeiTForImageClassification', 'DeiTForImageClassificationWithTeacher'] as const;
export const SUPPORTED_CHECKPOINTS = `Hugging Face ${HF_CLASSES.join(', ')}; timm vit_*/deit_* (incl. distilled); dlth checkpoints`;

/** The head a state dict carries: class count (0 = none) and whether a distillation head exists. */
export interface HeadShape {
  numClasses: number;
  distillHead: boolean;
}

const HEADS = [/^(?:module\.)?head\.weight$/, /^classifier\.weight$/, /^cls_classifier\.weight$/];
const DIST_HEADS = [/^(?:module\.)?head_dist\.weight$/, /^distillation_classifier\.weight$/];

/** Head shape from the tensors' names and shapes ([classes, dim] in PyTorch layout). */
export function headFromTensors(shapes: Map<string, { shape: number[] }>): HeadShape {
  let numClasses = 0;
  let distillHead = false;
  for (const [key, t] of shapes) {
    if (HEADS.some((r) => r.test(key)) && t.shape.length === 2) numClasses = t.shape[0];
    if (DIST_HEADS.some((r) => r.test(key))) distillHead = true;
  }
  return { numClasses, distillHead };
}

/** The head the config's class implies, when the weights are not at hand. */
export function headFromConfig(j: HfVitConfigJson): HeadShape {
  const arch = j.architectures ?? [];
  const headless = arch.length > 0 && arch.every((a) => a === 'ViTModel' || a === 'DeiTModel');
  const numClasses = headless ? 0 : j.num_labels ?? (j.id2label ? Object.keys(j.id2label).length : 2);
  const teacher = j.model_type === 'deit' && (arch.length === 0 || arch.includes('DeiTForImageClassificationWithTeacher'));
  return { numClasses, distillHead: teacher && numClasses > 0 };
}

/** Throws unless the config is a ViT or DeiT of a supported class. */
export function checkHfClass(j: HfVitConfigJson, file: string): void {
  const arch = Array.isArray(j.architectures) ? j.architectures : [];
  const unknown = arch.filter((a) => !(HF_CLASSES as readonly string[]).includes(a));
  if ((j.model_type !== 'vit' && j.model_type !== 'deit') || unknown.length > 0) {
    const found = `model_type ${show(j.model_type)}${arch.length > 0 ? ` (${arch.join(', ')})` : ''}`;
    throw new CheckpointError(`found ${found}; supported: ${SUPPORTED_CHECKPOINTS}`, { file });
  }
  if (j.hidden_act !== undefined && j.hidden_act !== 'gelu') {
    throw new CheckpointError(`hidden_act ${show(j.hidden_act)} is not supported (exact "gelu" only)`, { file });
  }
}

/**
 * Our config from an HF `config.json`, the head found in the weights and the normalisation of the
 * image processor. LayerNorm eps and the MLP width (intermediate_size, any ratio) come from the config.
 */
export function configFromHf(j: HfVitConfigJson, norm: { mean?: number[]; std?: number[] } = {}, file = 'config.json', weights?: HeadShape): ViTConfig {
  checkHfClass(j, file);
  const head = weights ?? headFromConfig(j);
  const size = j.image_size;
  const dim = j.hidden_size ?? 768;
  const input: ViTConfigInput = {
    imageSize: size === undefined ? undefined : Array.isArray(size) ? [size[0], size[1]] : [size, size],
    patchSize: j.patch_size,
    channels: j.num_channels,
    dim: j.hidden_size,
    depth: j.num_hidden_layers,
    heads: j.num_attention_heads,
    mlpRatio: (j.intermediate_size ?? 3072) / dim,
    numClasses: head.numClasses,
    layerNormEps: j.layer_norm_eps ?? 1e-12,
    qkvBias: j.qkv_bias ?? true,
    distilled: j.model_type === 'deit',
    distillHead: head.distillHead,
    mean: norm.mean,
    std: norm.std,
  };
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ViTConfigInput;
  try {
    return resolveConfig(defined);
  } catch (err) {
    throw new CheckpointError(`config.json does not describe a valid model: ${(err as Error).message}`, { file, cause: err });
  }
}
