import { resolveConfig, type ViTConfig, type ViTConfigInput } from './configs.js';
import { CheckpointError } from '../util/errors.js';

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

/**
 * Our config from an HF `config.json` (and the image processor's mean/std). DeiT with a teacher
 * head (DeiTForImageClassificationWithTeacher) is `distilled`; HF's DeiTForImageClassification
 * (one head reading CLS, distillation token unused by the head) is not supported.
 */
export function configFromHf(j: HfVitConfigJson, norm: { mean?: number[]; std?: number[] } = {}, file = 'config.json'): ViTConfig {
  if (j.hidden_act !== undefined && j.hidden_act !== 'gelu') {
    throw new CheckpointError(`hidden_act ${JSON.stringify(j.hidden_act)} is not supported (exact "gelu" only)`, { file });
  }
  const numClasses = j.num_labels ?? (j.id2label ? Object.keys(j.id2label).length : undefined);
  const size = j.image_size;
  const input: ViTConfigInput = {
    imageSize: size === undefined ? undefined : Array.isArray(size) ? [size[0], size[1]] : [size, size],
    patchSize: j.patch_size,
    channels: j.num_channels,
    dim: j.hidden_size,
    depth: j.num_hidden_layers,
    heads: j.num_attention_heads,
    mlpRatio: j.intermediate_size !== undefined && j.hidden_size ? j.intermediate_size / j.hidden_size : undefined,
    numClasses,
    layerNormEps: j.layer_norm_eps ?? 1e-12,
    qkvBias: j.qkv_bias ?? true,
    distilled: j.model_type === 'deit',
    mean: norm.mean,
    std: norm.std,
  };
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ViTConfigInput;
  return resolveConfig(defined);
}
