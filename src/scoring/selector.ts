/**
 * Loading the frozen selector ViT: our checkpoints (config in the file), HF or timm safetensors
 * (config from a named variant, or from an HF `config.json` beside the weights). The classifier
 * head plays no part in scoring, so its class count is read from the file instead of demanded.
 * The selector's fingerprint is the sha256 of the checkpoint file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { configFromMetadata, modelFromSafetensors } from '../model/checkpoint.js';
import { variantConfig, type ViTConfig } from '../model/configs.js';
import { configFromHf, type HfVitConfigJson } from '../model/hf_config.js';
import { readSafetensors, type SafetensorsContent } from '../model/safetensors.js';
import { ViT } from '../model/vit.js';
import { hashFile } from '../shards/hashfile.js';
import { CheckpointError, InputError, show } from '../util/errors.js';

export interface SelectorSpec {
  /** A safetensors checkpoint (ours, HF or timm); omitted: random weights (benchmarks only). */
  checkpoint?: string;
  /** A named variant (`deit-small-patch16-224`, …); needed for HF/timm files without config.json. */
  model?: string;
  /** Seed of the random weights when there is no checkpoint. */
  seed?: number;
}

export interface LoadedSelector {
  vit: ViT;
  /** `sha256:<hex>` of the checkpoint file, or `random:<model>:<seed>`. */
  fingerprint: string;
  /** The variant name, or a description of the config's shape. */
  model: string;
}

const HEAD_KEYS = ['head.weight', 'classifier.weight', 'cls_classifier.weight', 'module.head.weight'];

/** The class count of the checkpoint's head ([classes, dim] in PyTorch layout), if it has one. */
export function headClasses(content: SafetensorsContent): number | undefined {
  for (const key of HEAD_KEYS) {
    const t = content.tensors.get(key);
    if (t && t.shape.length === 2) return t.shape[0];
  }
  return undefined;
}

export function describeConfig(c: ViTConfig): string {
  return `vit-d${c.dim}-L${c.depth}-h${c.heads}-p${c.patchSize}-${c.imageSize[0]}x${c.imageSize[1]}${c.distilled ? '-distilled' : ''}`;
}

async function hfConfigBeside(checkpoint: string): Promise<ViTConfig | undefined> {
  const file = join(dirname(checkpoint), 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return configFromHf(JSON.parse(text) as HfVitConfigJson, {}, file);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`not a valid HF config: ${String(err)}`, { file, cause: err });
  }
}

/** Resolves the selector's config: our metadata, else the variant (head size from the file), else config.json. */
async function selectorConfig(spec: SelectorSpec, content: SafetensorsContent, file: string): Promise<{ config: ViTConfig; name: string }> {
  if (spec.model !== undefined) {
    const classes = headClasses(content);
    return { config: variantConfig(spec.model, classes !== undefined ? { numClasses: classes } : {}), name: spec.model };
  }
  const own = configFromMetadata(content.metadata, file);
  if (own) return { config: own, name: describeConfig(own) };
  const hf = await hfConfigBeside(file);
  if (hf) return { config: hf, name: describeConfig(hf) };
  throw new CheckpointError('the checkpoint has no dlth config and no config.json beside it: name its variant (--model)', { file });
}

export async function loadSelector(spec: SelectorSpec): Promise<LoadedSelector> {
  if (spec.checkpoint === undefined) {
    if (spec.model === undefined) throw new InputError('a selector needs a checkpoint or, for random weights, a model variant');
    const seed = spec.seed ?? 0;
    return { vit: ViT.init(variantConfig(spec.model), seed), fingerprint: `random:${spec.model}:${seed}`, model: spec.model };
  }
  const file = spec.checkpoint;
  const [content, digest] = await Promise.all([readSafetensors(file), hashFile(file)]);
  const { config, name } = await selectorConfig(spec, content, file);
  try {
    const { vit } = modelFromSafetensors(content, file, { config });
    return { vit, fingerprint: `sha256:${digest.sha256}`, model: name };
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`cannot build ${show(name)} from this checkpoint: ${String(err)}`, { file, cause: err });
  }
}
