import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import type { DeviceInfo } from './types.js';

const NVIDIA_GPUS = '/proc/driver/nvidia/gpus';

/** CUDA GPUs visible through the NVIDIA kernel driver (Linux); empty when there are none. */
export function cudaGpus(root = NVIDIA_GPUS): DeviceInfo[] {
  if (process.env.CUDA_VISIBLE_DEVICES === '' || process.env.CUDA_VISIBLE_DEVICES === '-1') return [];
  if (!existsSync(root)) return [];
  try {
    return readdirSync(root).map((bus) => ({ type: 'gpu', name: gpuModel(join(root, bus, 'information'), bus) }));
  } catch {
    return [];
  }
}

function gpuModel(infoFile: string, fallback: string): string {
  try {
    const line = readFileSync(infoFile, 'utf8').split('\n').find((l) => l.startsWith('Model:'));
    return line ? line.slice('Model:'.length).trim() : fallback;
  } catch {
    return fallback;
  }
}

/** Why no CUDA GPU is usable, or undefined when one is. */
export function noGpuReason(gpus: DeviceInfo[] = cudaGpus()): string | undefined {
  if (gpus.length > 0) return undefined;
  const masked = process.env.CUDA_VISIBLE_DEVICES;
  if (masked === '' || masked === '-1') return `CUDA_VISIBLE_DEVICES=${JSON.stringify(masked)} hides every GPU`;
  return `no CUDA GPU found (${NVIDIA_GPUS} is absent: no NVIDIA driver or GPU)`;
}

export function cpuDevice(): DeviceInfo {
  const model = cpus()[0]?.model?.trim() || 'cpu';
  return { type: 'cpu', name: model, cores: availableParallelism() };
}

/** Threads TensorFlow uses for one op: `TF_NUM_INTRAOP_THREADS`, else one per logical core. */
export function nativeThreads(): number {
  const n = Number.parseInt(process.env.TF_NUM_INTRAOP_THREADS ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : availableParallelism();
}
