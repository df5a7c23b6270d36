/**
 * Where a checkpoint's parts are, as users have them: a Hugging Face model directory
 * (`save_pretrained`: config.json, preprocessor_config.json, model.safetensors or the shards of
 * model.safetensors.index.json), a timm hub directory (config.json with pretrained_cfg,
 * model.safetensors), a sharded index file, or a bare safetensors file (a config.json and
 * preprocessor_config.json beside it are used when present). Shard names in an index must be plain
 * file names in the same directory: nothing outside it is read because an index says so.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError, errnoCode, InputError, ioError, show } from '../util/errors.js';
import { readJsonObject } from './json_file.js';
import { readSafetensors, type SafetensorsContent } from './safetensors.js';
import { looksLikeJson } from './safetensors_sniff.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
export const CONFIG_FILE = 'config.json';
export const PREPROCESSOR_FILE = 'preprocessor_config.json';
const PICKLES = /^(pytorch_model.*\.bin|.*\.pth?|.*\.ckpt)$/;

export interface JsonDoc {
  file: string;
  json: Record<string, unknown>;
}

export interface CheckpointFiles {
  /** Safetensors files holding the weights: one, or the shards of an index (in index order). */
  weights: string[];
  /** tensor name → shard file, for a sharded checkpoint. */
  weightMap: Map<string, string> | null;
  config: JsonDoc | null;
  preprocessor: JsonDoc | null;
}

async function kind(path: string): Promise<'dir' | 'file' | null> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    throw ioError(err, path, 'reading a checkpoint');
  }
}

async function optionalJson(file: string, what: string): Promise<JsonDoc | null> {
  return (await kind(file)) === 'file' ? { file, json: await readJsonObject(file, what) } : null;
}

/** The shard files and weight_map of a sharded index. */
async function readIndex(file: string): Promise<{ weights: string[]; weightMap: Map<string, string> }> {
  const doc = await readJsonObject(file, 'sharded checkpoint index');
  const map = doc.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError('sharded checkpoint index: no weight_map object', { file });
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard !== basename(shard) || shard === '..' || shard === '.' || !shard.endsWith('.safetensors')) {
      throw new CheckpointError(`sharded checkpoint index: ${show(name)} maps to ${show(shard)}, not a .safetensors file name in the same directory`, { file });
    }
    weightMap.set(name, join(dirname(file), shard));
  }
  if (weightMap.size === 0) throw new CheckpointError('sharded checkpoint index: weight_map is empty', { file });
  const weights = [...new Set(weightMap.values())];
  for (const shard of weights) {
    if ((await kind(shard)) !== 'file') throw new CheckpointError(`sharded checkpoint index: shard ${show(basename(shard))} does not exist`, { file });
  }
  return { weights, weightMap };
}

async function inDirectory(dir: string): Promise<CheckpointFiles> {
  const [config, preprocessor] = await Promise.all([optionalJson(join(dir, CONFIG_FILE), CONFIG_FILE), optionalJson(join(dir, PREPROCESSOR_FILE), PREPROCESSOR_FILE)]);
  if ((await kind(join(dir, WEIGHTS_FILE))) === 'file') return { weights: [join(dir, WEIGHTS_FILE)], weightMap: null, config, preprocessor };
  if ((await kind(join(dir, INDEX_FILE))) === 'file') return { ...(await readIndex(join(dir, INDEX_FILE))), config, preprocessor };
  const names = await readdir(dir).catch(() => [] as string[]);
  const pickle = names.find((n) => PICKLES.test(n));
  const found = pickle ? `only ${pickle} (PyTorch pickle)` : `no weights (${names.slice(0, 6).join(', ') || 'empty'})`;
  throw new CheckpointError(`found ${found}; supported: ${WEIGHTS_FILE} or ${INDEX_FILE} (save_pretrained's default, or safetensors.torch.save_file)`, { file: dir });
}

/** The first 8 bytes of a file (fewer when it is shorter). */
async function firstBytes(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r').catch((err: unknown) => {
    throw ioError(err, file, 'reading a checkpoint');
  });
  try {
    const head = new Uint8Array(8);
    return head.subarray(0, (await fh.read(head, 0, 8, 0)).bytesRead);
  } finally {
    await fh.close();
  }
}

/** A JSON file named as the checkpoint: a sharded index (it has a weight_map) under any name, else a config file: refused. */
async function jsonCheckpointFile(path: string): Promise<{ weights: string[]; weightMap: Map<string, string> }> {
  const doc = await readJsonObject(path, 'checkpoint');
  if (Object.hasOwn(doc, 'weight_map')) return readIndex(path);
  throw new InputError(`a config file (JSON), not the weights: pass its directory (${dirname(path)}) or the .safetensors file`, { file: path });
}

/** Locates the weights and configs of `path` (a directory, an index file or a safetensors file). */
export async function locateCheckpoint(path: string): Promise<CheckpointFiles> {
  const k = await kind(path);
  if (k === null) throw new InputError('no such file or directory (the checkpoint)', { file: path });
  if (k === 'dir') return inDirectory(path);
  if (PICKLES.test(basename(path))) throw new CheckpointError(`found a PyTorch pickle; supported: safetensors files and directories (${WEIGHTS_FILE}, ${INDEX_FILE})`, { file: path });
  const index = path.endsWith('.index.json') ? await readIndex(path) : looksLikeJson(await firstBytes(path)) ? await jsonCheckpointFile(path) : null;
  const dir = dirname(path);
  const [config, preprocessor] = await Promise.all([optionalJson(join(dir, CONFIG_FILE), CONFIG_FILE), optionalJson(join(dir, PREPROCESSOR_FILE), PREPROCESSOR_FILE)]);
  return index ? { ...index, config, preprocessor } : { weights: [path], weightMap: null, config, preprocessor };
}

/** Every tensor of the checkpoint; shards must hold exactly the tensors their index assigns them. */
export async function readCheckpointTensors(files: CheckpointFiles): Promise<SafetensorsContent> {
  if (!files.weightMap) return readSafetensors(files.weights[0]);
  const merged: SafetensorsContent = { tensors: new Map(), metadata: {} };
  for (const shard of files.weights) {
    const part = await readSafetensors(shard);
    for (const [name, t] of part.tensors) {
      if (files.weightMap.get(name) !== shard) throw new CheckpointError(`tensor ${show(name)} is not assigned to this shard by the index`, { file: shard });
      merged.tensors.set(name, t);
    }
    Object.assign(merged.metadata, part.metadata);
  }
  const missing = [...files.weightMap.keys()].find((k) => !merged.tensors.has(k));
  if (missing !== undefined) throw new CheckpointError(`tensor ${show(missing)} listed by the index is in none of its shards`, { file: files.weightMap.get(missing) });
  return merged;
}

/** The files whose bytes decide the selector: weights, then the configs (for the fingerprint). */
export function fingerprintFiles(files: CheckpointFiles): string[] {
  return [...files.weights, ...[files.config, files.preprocessor].filter((d): d is JsonDoc => d !== null).map((d) => d.file)];
}
