/**
 * The resumable training state in `out/state/`: `tensors-<step>.safetensors` (model parameters and
 * AdamW moments, float32, exact) and `state.json` (step, epoch, loader position, the partial
 * epoch's meter, history, config fingerprint, the tensors file's sha256). The tensors file is
 * written first and `state.json` last, both atomically, so a crash at any point leaves the previous
 * complete state; older tensor files are removed after the switch.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LoaderState } from '../loader/state.js';
import { parseState } from '../loader/state.js';
import { parseSafetensors, serializeSafetensors, type StateDict } from '../model/safetensors.js';
import { CheckpointError, errnoCode, ioError } from '../util/errors.js';
import { mkdirp, writeFileAtomic } from '../util/fsx.js';
import { sha256Hex } from '../util/hash.js';
import type { AdamW, NamedVariable } from './adamw.js';
import type { EpochRecord, TimingRecord } from './history.js';
import type { MeterState } from './metrics.js';

export const TRAIN_STATE_VERSION = 1 as const;
export const TRAIN_STATE_DIR = 'state';
const STATE_FILE = 'state.json';
const M = '::adam_m';
const V = '::adam_v';

export interface TrainState {
  version: typeof TRAIN_STATE_VERSION;
  /** Fingerprint of everything that changes the computation; a resume must match it. */
  fingerprint: string;
  /** Optimizer updates taken. */
  step: number;
  /** The epoch in progress (or the next one, when `loader` is null). */
  epoch: number;
  /** Position of the training loader within `epoch`; null at the start of the epoch. */
  loader: LoaderState | null;
  /** The meter of the partial epoch. */
  meter: MeterState;
  samples: number;
  lr: number;
  history: EpochRecord[];
  timing: TimingRecord[];
  /** All randomness (init, order, flips) derives from this seed and the loader position. */
  rng: { seed: number };
  tensors: { file: string; sha256: string };
}

export type StateInfo = Omit<TrainState, 'version' | 'tensors'>;

/** Saves parameters, moments and `info` under `dir/state/`. */
export async function saveState(dir: string, params: readonly NamedVariable[], opt: AdamW, info: StateInfo): Promise<void> {
  const stateDir = join(dir, TRAIN_STATE_DIR);
  await mkdirp(stateDir);
  const dict: StateDict = new Map();
  for (const p of params) dict.set(p.name, { shape: [...p.variable.shape], data: (await p.variable.data()) as Float32Array });
  const os = await opt.getState();
  if (os.step !== info.step) throw new CheckpointError(`optimizer step ${os.step} differs from the trainer's ${info.step}`);
  for (const m of os.moments) {
    dict.set(`${m.name}${M}`, { shape: m.shape, data: m.m });
    dict.set(`${m.name}${V}`, { shape: m.shape, data: m.v });
  }
  const bytes = serializeSafetensors(dict, { format: 'dlth-train-state', step: String(info.step) });
  const file = `tensors-${String(info.step).padStart(8, '0')}.safetensors`;
  await writeFileAtomic(join(stateDir, file), bytes);
  const state: TrainState = { version: TRAIN_STATE_VERSION, ...info, tensors: { file, sha256: sha256Hex(bytes) } };
  await writeFileAtomic(join(stateDir, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
  for (const name of await readdir(stateDir)) {
    if (name !== file && /^tensors-\d+\.safetensors$/.test(name)) await rm(join(stateDir, name), { force: true });
  }
}

/** Reads `dir/state/state.json`, or null when there is none. Validates its shape and version. */
export async function readStateInfo(dir: string): Promise<TrainState | null> {
  const file = join(dir, TRAIN_STATE_DIR, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw ioError(err, file, 'reading the training state');
  }
  const bad = (msg: string): never => {
    throw new CheckpointError(`corrupt training state: ${msg} (delete the state directory or pass resume: false to start over)`, { file });
  };
  let s: TrainState;
  try {
    s = JSON.parse(text) as TrainState;
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  if (s.version !== TRAIN_STATE_VERSION) bad(`unknown version ${JSON.stringify(s.version)}`);
  const ints = [s.step, s.epoch, s.samples, s.rng?.seed];
  if (!ints.every((x) => Number.isSafeInteger(x) && x >= 0)) bad('step, epoch, samples and rng.seed must be non-negative integers');
  if (!Array.isArray(s.history) || !Array.isArray(s.timing) || typeof s.meter !== 'object' || s.meter === null) bad('history, timing or meter missing');
  if (typeof s.tensors?.file !== 'string' || !/^tensors-\d+\.safetensors$/.test(s.tensors.file)) bad('bad tensors file name');
  if (s.loader !== null) s.loader = parseState(s.loader, `${file}: loader`);
  return s;
}

/** Loads the saved parameters and moments into `params` and `opt` (sha256 and shapes checked). */
export async function loadStateTensors(dir: string, state: TrainState, params: readonly NamedVariable[], opt: AdamW): Promise<void> {
  const file = join(dir, TRAIN_STATE_DIR, state.tensors.file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw ioError(err, file, 'reading the training state');
  }
  if (sha256Hex(bytes) !== state.tensors.sha256) throw new CheckpointError('training state tensors do not match the sha256 in state.json', { file });
  const { tensors } = parseSafetensors(bytes, file);
  const get = (name: string, shape: readonly number[]): Float32Array => {
    const t = tensors.get(name);
    if (!t || t.shape.join('x') !== shape.join('x')) throw new CheckpointError(`no tensor ${JSON.stringify(name)} of shape [${shape}]`, { file });
    return t.data;
  };
  for (const p of params) tf.tidy(() => p.variable.assign(tf.tensor(get(p.name, p.variable.shape), p.variable.shape, 'float32')));
  opt.setState({
    step: state.step,
    moments: params.map((p) => ({ name: p.name, shape: [...p.variable.shape], m: get(`${p.name}${M}`, p.variable.shape), v: get(`${p.name}${V}`, p.variable.shape) })),
  });
}

/** Removes the state directory (a fresh start). */
export async function clearState(dir: string): Promise<void> {
  await rm(join(dir, TRAIN_STATE_DIR), { recursive: true, force: true });
}
