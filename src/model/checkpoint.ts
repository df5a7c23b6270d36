/**
 * Loading and saving model checkpoints as safetensors.
 *
 * - `loadCheckpoint(path, config?)`: HF ViT/DeiT or timm naming (see checkpoint_filter.ts), f32/f16/bf16;
 *   the config comes from the argument or from our own `__metadata__` (key `dlth`).
 * - `saveCheckpoint(path, vit)`: timm naming and PyTorch layouts, f32, with
 *   `__metadata__ = { format: 'pt', dlth: JSON {version, config} }`, so
 *   `timm.create_model(..., pretrained_cfg_overlay=dict(file=path))` or `load_state_dict` in PyTorch reads it.
 */
import { gridOf, resolveConfig, type ViTConfig, type ViTConfigInput } from './configs.js';
import { checkpointFilter, type CheckpointFormat } from './checkpoint_filter.js';
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type SafetensorsContent, type StateDict } from './safetensors.js';
import { fromTimmStateDict, toTimmStateDict } from './timm_state.js';
import { ViT } from './vit.js';
import { CheckpointError } from '../util/errors.js';

export const CHECKPOINT_META_KEY = 'dlth';
export const CHECKPOINT_VERSION = 1;

export interface LoadOptions {
  /** The model's config; defaults to the one in the file's `__metadata__` (our checkpoints). */
  config?: ViTConfig;
  /** The checkpoint's grid when it is not square and differs from the config's. */
  sourceGrid?: [number, number];
}

export interface LoadedCheckpoint {
  vit: ViT;
  format: CheckpointFormat;
  metadata: Record<string, string>;
}

/** The config stored by `saveCheckpoint`, or undefined. */
export function configFromMetadata(metadata: Record<string, string>, file: string): ViTConfig | undefined {
  const raw = metadata[CHECKPOINT_META_KEY];
  if (raw === undefined) return undefined;
  let doc: { version?: unknown; config?: unknown };
  try {
    doc = JSON.parse(raw) as { version?: unknown; config?: unknown };
  } catch (err) {
    throw new CheckpointError(`__metadata__.${CHECKPOINT_META_KEY} is not JSON`, { file, cause: err });
  }
  if (doc.version !== CHECKPOINT_VERSION) throw new CheckpointError(`checkpoint version ${JSON.stringify(doc.version)} is not supported (want ${CHECKPOINT_VERSION})`, { file });
  return resolveConfig(doc.config as ViTConfigInput);
}

/** Builds a ViT from parsed safetensors content (HF or timm naming). */
export function modelFromSafetensors(content: SafetensorsContent, file: string, opts: LoadOptions = {}): LoadedCheckpoint {
  const config = opts.config ?? configFromMetadata(content.metadata, file);
  if (!config) throw new CheckpointError('no model config given and none in the file metadata', { file });
  const g = gridOf(config);
  const { format, state } = checkpointFilter(content.tensors, { grid: [g.gridH, g.gridW], prefix: g.prefix, sourceGrid: opts.sourceGrid }, file);
  return { vit: new ViT(config, fromTimmStateDict(config, state, file)), format, metadata: content.metadata };
}

export async function loadCheckpoint(path: string, opts: LoadOptions = {}): Promise<LoadedCheckpoint> {
  return modelFromSafetensors(await readSafetensors(path), path, opts);
}

/** Loads from bytes already in memory (`file` names them in errors). */
export function loadCheckpointBytes(bytes: Uint8Array, file: string, opts: LoadOptions = {}): LoadedCheckpoint {
  return modelFromSafetensors(parseSafetensors(bytes, file), file, opts);
}

function checkpointContent(vit: ViT): { tensors: StateDict; metadata: Record<string, string> } {
  const metadata = { format: 'pt', [CHECKPOINT_META_KEY]: JSON.stringify({ version: CHECKPOINT_VERSION, config: vit.config }) };
  return { tensors: toTimmStateDict(vit.config, vit.params), metadata };
}

export async function saveCheckpoint(path: string, vit: ViT): Promise<void> {
  const { tensors, metadata } = checkpointContent(vit);
  await writeSafetensors(path, tensors, metadata);
}

export function serializeCheckpoint(vit: ViT): Uint8Array {
  const { tensors, metadata } = checkpointContent(vit);
  return serializeSafetensors(tensors, metadata);
}
