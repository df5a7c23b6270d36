import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { NATIVE_GPU_PACKAGE } from './native.js';

const require = createRequire(import.meta.url);

/** One NVIDIA GPU as nvidia-smi describes it. */
export interface NvidiaGpu {
  index: number;
  name: string;
  /** e.g. "9.0" (Hopper); "?" when the driver is too old to say. */
  computeCapability: string;
  memoryMiB: number;
  driver: string;
}

export interface NvidiaSmi {
  found: boolean;
  gpus: NvidiaGpu[];
  /** Why nvidia-smi gave nothing (absent, failed, timed out). */
  reason?: string;
}

/** A CUDA library TensorFlow 2.21 (CUDA 12.5, cuDNN 9) opens at run time, and where it was found. */
export interface CudaLibrary {
  soname: string;
  path?: string;
}

const QUERY = 'index,name,compute_cap,memory.total,driver_version';

/** Runs `nvidia-smi --query-gpu=…` (10 s limit). */
export function queryNvidiaSmi(bin = 'nvidia-smi'): NvidiaSmi {
  try {
    const out = execFileSync(bin, [`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { found: true, gpus: parseNvidiaSmi(out) };
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    if (code === 'ENOENT') return { found: false, gpus: [], reason: 'nvidia-smi not found (no NVIDIA driver installed)' };
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String(err.stderr).trim() : '';
    const first = (stderr || (err instanceof Error ? err.message : String(err))).split('\n')[0];
    return { found: true, gpus: [], reason: `nvidia-smi failed: ${first}` };
  }
}

/** Parses nvidia-smi's `csv,noheader,nounits` answer to QUERY; lines it cannot read are skipped. */
export function parseNvidiaSmi(csv: string): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of csv.split('\n')) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length !== 5 || !/^\d+$/.test(f[0])) continue;
    const memory = Number.parseInt(f[3], 10);
    const cc = /^\d+\.\d+$/.test(f[2]) ? f[2] : '?';
    gpus.push({ index: Number(f[0]), name: f[1], computeCapability: cc, memoryMiB: Number.isFinite(memory) ? memory : 0, driver: f[4] });
  }
  return gpus;
}

/** The sonames the `tensorflow` 2.21 wheel (CUDA 12.5, cuDNN 9) dlopens. */
export const CUDA_SONAMES = [
  'libcudart.so.12',
  'libcublas.so.12',
  'libcublasLt.so.12',
  'libcufft.so.11',
  'libcusolver.so.11',
  'libcusparse.so.12',
  'libnvJitLink.so.12',
  'libcudnn.so.9',
] as const;

/**
 * Where the CUDA libraries would be found, in the order the loader of the GPU binding searches:
 * the binding's deps/lib (where `setup-native.sh` links the pip wheels' libraries), the project's
 * wheel cache, LD_LIBRARY_PATH, then the system's ldconfig cache.
 */
export function findCudaLibraries(dirs: string[] = cudaSearchDirs(), system: Map<string, string> = ldconfigCache()): CudaLibrary[] {
  return CUDA_SONAMES.map((soname) => {
    const dir = dirs.find((d) => existsSync(join(d, soname)));
    const path = dir !== undefined ? join(dir, soname) : system.get(soname);
    return path === undefined ? { soname } : { soname, path };
  });
}

export function cudaSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  try {
    dirs.push(join(dirname(require.resolve(`${NATIVE_GPU_PACKAGE}/package.json`)), 'deps', 'lib'));
  } catch {
    // tfjs-node-gpu not installed
  }
  const cache = resolve(env.DLTH_NATIVE_GPU_CACHE ?? '.cache/native-gpu', 'nvidia');
  if (existsSync(cache)) for (const pkg of readdirSync(cache)) dirs.push(join(cache, pkg, 'lib'));
  for (const d of (env.LD_LIBRARY_PATH ?? '').split(':')) if (d) dirs.push(d);
  return dirs;
}

/** soname → path from `ldconfig -p` (empty when ldconfig is unavailable). */
export function ldconfigCache(): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return out;
  }
  for (const m of text.matchAll(/^\s*(\S+) \(([^)]*)\) => (\S+)$/gm)) {
    if (m[2].includes('x86-64') || !m[2].includes('64')) out.set(m[1], m[3]);
  }
  return out;
}
