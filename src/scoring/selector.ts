/**
 * Loading the frozen selector ViT and its preprocessing, from a checkpoint as users have it (see
 * model/checkpoint_dir.ts): our checkpoints (config in the file), HF model directories or files
 * with a config.json (every ViT/DeiT class), timm checkpoints with their pretrained config, or an
 * HF/timm safetensors file with a named variant. The head plays no part in scoring, so its
 * structure is read from the weights. The preprocessing comes from the checkpoint's processor or
 * pretrained config (`preprocessing`); `applyPreprocessing` turns it, with explicit overrides,
 * into the PatchifyConfig used to score and sets the model's normalisation to match.
 * Fingerprint: sha256 of the checkpoint file, or of every file the selector depends on.
 */
import { configFromMetadata, modelFromSafetensors } from '../model/checkpoint.js';
import { fingerprintFiles, locateCheckpoint, readCheckpointTensors, type CheckpointFiles } from '../model/checkpoint_dir.js';
import { resolveConfig, variantConfig, type ViTConfig } from '../model/configs.js';
import { configFromHf, headFromTensors, type HfVitConfigJson } from '../model/hf_config.js';
import type { SafetensorsContent } from '../model/safetensors.js';
import { readSafetensorsHeader, type SafetensorsHeader } from '../model/safetensors_header.js';
import { configFromTimm, isTimmConfig, type TimmConfigJson } from '../model/timm_config.js';
import { ViT } from '../model/vit.js';
import type { PatchifyConfig } from '../patchify/types.js';
import { hashFile } from '../shards/hashfile.js';
import { hint, Setting } from '../sources/hints.js';
import { newSha256 } from '../util/hash.js';
import { CheckpointError, InputError, show } from '../util/errors.js';
import { patchifyConfigFor, scoringPatchifyConfig, type Preprocessing, type PreprocessingOverrides } from '../preprocessing/resolve.js';
import { defaultPreprocessing, fromHfProcessor, fromTimmCfg } from '../preprocessing/read.js';

export interface SelectorSpec {
  /** A checkpoint: a safetensors file, an HF/timm model directory, or a sharded index; omitted: random weights (benchmarks only). */
  checkpoint?: string;
  /** A named variant (`deit-small-patch16-224`, …); needed for HF/timm files without config.json. */
  model?: string;
  /** Seed of the random weights when there is no checkpoint. */
  seed?: number;
}

export interface LoadedSelector {
  vit: ViT;
  /** `sha256:<hex>` of the checkpoint file (or of all its files), or `random:<model>:<seed>`. */
  fingerprint: string;
  /** The variant name, or a description of the config's shape. */
  model: string;
  /** The checkpoint's own preprocessing (before any override); loadSelector always sets it. */
  preprocessing?: Preprocessing;
}

/**
 * The input geometry a selector takes, as its checkpoint states it (dlth metadata, an HF
 * config.json's image_size/patch_size/num_channels, timm's pretrained_cfg and patch embedding) or
 * its named variant does: the model takes no other.
 */
export function selectorGeometry(sel: LoadedSelector): { imageSize: [number, number]; patchSize: number; channels: number } {
  const c = sel.vit.config;
  return { imageSize: [c.imageSize[0], c.imageSize[1]], patchSize: c.patchSize, channels: c.channels };
}

/** The class count of the checkpoint's head ([classes, dim] in PyTorch layout), if it has one. */
export function headClasses(content: SafetensorsContent): number | undefined {
  const n = headFromTensors(content.tensors).numClasses;
  return n > 0 ? n : undefined;
}

export function describeConfig(c: ViTConfig): string {
  return `vit-d${c.dim}-L${c.depth}-h${c.heads}-p${c.patchSize}-${c.imageSize[0]}x${c.imageSize[1]}${c.distilled ? '-distilled' : ''}`;
}

export interface SelectorDescription {
  config: ViTConfig;
  name: string;
  preprocessing: Preprocessing;
}

/**
 * Config and preprocessing: our metadata, a timm config.json, an HF config.json, else the named
 * variant. A checkpoint that describes itself wins over `spec.model` (which then only names it):
 * the variant knows neither the trained normalisation nor the eps nor any architecture override.
 */
function resolveSelector(spec: SelectorSpec, files: CheckpointFiles, content: Pick<SafetensorsHeader, 'metadata'> & { tensors: SafetensorsHeader['shapes'] }, file: string): SelectorDescription {
  const head = headFromTensors(content.tensors);
  const withPre = (config: ViTConfig, name: string, pre?: Preprocessing): SelectorDescription => {
    const preprocessing = pre ?? (files.preprocessor ? fromHfProcessor(files.preprocessor.json, files.preprocessor.file, config) : defaultPreprocessing(config));
    return { config: resolveConfig({ ...config, mean: preprocessing.mean, std: preprocessing.std }), name: spec.model ?? name, preprocessing };
  };
  const own = configFromMetadata(content.metadata, file);
  if (own) return withPre(own, describeConfig(own), files.preprocessor ? undefined : { ...defaultPreprocessing(own), from: 'model-config' });
  const cfg = files.config;
  if (cfg && isTimmConfig(cfg.json)) {
    const timm = cfg.json as TimmConfigJson;
    const config = configFromTimm(timm, content.tensors, cfg.file);
    const pre = files.preprocessor ? undefined : fromTimmCfg(timm.pretrained_cfg ?? {}, cfg.file, config);
    return withPre(config, timm.architecture ?? describeConfig(config), pre);
  }
  if (cfg) {
    const config = configFromHf(cfg.json as HfVitConfigJson, {}, cfg.file, head);
    return withPre(config, describeConfig(config));
  }
  if (spec.model !== undefined) {
    const config = variantConfig(spec.model, { numClasses: head.numClasses, distillHead: head.distillHead });
    return withPre(config, spec.model);
  }
  throw new CheckpointError(`the checkpoint has no dlth config and no config.json beside it: name its variant (${hint(Setting.Model, '<variant>')})`, { file });
}

async function fingerprint(files: CheckpointFiles): Promise<string> {
  const list = fingerprintFiles(files);
  if (list.length === 1) return `sha256:${(await hashFile(list[0])).sha256}`;
  const h = newSha256();
  for (const f of list) h.update(`${f.split('/').pop()} ${(await hashFile(f)).sha256}\n`);
  return `sha256:${h.digest('hex')}`;
}

/** The selector's config, preprocessing and name from its configs and safetensors headers alone (no weights read): for validation. */
export async function inspectSelector(spec: SelectorSpec & { checkpoint: string }): Promise<SelectorDescription> {
  const files = await locateCheckpoint(spec.checkpoint);
  const shapes: SafetensorsHeader['shapes'] = new Map();
  let metadata: Record<string, string> = {};
  for (const w of files.weights) {
    const h = await readSafetensorsHeader(w);
    h.shapes.forEach((v, k) => shapes.set(k, v));
    metadata = { ...metadata, ...h.metadata };
  }
  return resolveSelector(spec, files, { tensors: shapes, metadata }, files.weights[0]);
}

export async function loadSelector(spec: SelectorSpec): Promise<LoadedSelector> {
  if (spec.checkpoint === undefined) {
    if (spec.model === undefined) throw new InputError('a selector needs a checkpoint or, for random weights, a model variant');
    const seed = spec.seed ?? 0;
    const vit = ViT.init(variantConfig(spec.model), seed);
    return { vit, fingerprint: `random:${spec.model}:${seed}`, model: spec.model, preprocessing: defaultPreprocessing(vit.config) };
  }
  const file = spec.checkpoint;
  const files = await locateCheckpoint(file);
  const [content, digest] = await Promise.all([readCheckpointTensors(files), fingerprint(files)]);
  const { config, name, preprocessing } = resolveSelector(spec, files, content, files.weights[0]);
  try {
    const { vit } = modelFromSafetensors(content, files.weights[0], { config });
    return { vit, fingerprint: digest, model: name, preprocessing };
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`cannot build ${show(name)} from this checkpoint: ${String(err)}`, { file, cause: err });
  }
}

/**
 * The PatchifyConfig a scoring run uses, from the caller's config and explicit overrides (see
 * scoringPatchifyConfig), with the selector's model set to normalise exactly as it says.
 */
export function scoringPatchify(sel: LoadedSelector, requested: PatchifyConfig, overrides: PreprocessingOverrides = {}): PatchifyConfig {
  const cfg = scoringPatchifyConfig(sel.preprocessing ?? defaultPreprocessing(sel.vit.config), sel.vit.config, requested, overrides);
  sel.vit.setNormalisation(cfg.mean, cfg.std);
  return cfg;
}

/**
 * The PatchifyConfig to score with (the selector's preprocessing, then `overrides`, then `base`'s
 * non-geometric fields such as background and limitInputPixels), and the selector's model set to
 * normalise exactly as it says.
 */
export function applyPreprocessing(sel: LoadedSelector, overrides: PreprocessingOverrides = {}, base: Partial<PatchifyConfig> = {}): PatchifyConfig {
  const cfg = patchifyConfigFor(sel.preprocessing ?? defaultPreprocessing(sel.vit.config), sel.vit.config, overrides, base);
  sel.vit.setNormalisation(cfg.mean, cfg.std);
  return cfg;
}
