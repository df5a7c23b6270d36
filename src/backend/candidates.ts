import * as tf from '@tensorflow/tfjs-core';
import { cudaGpus, nativeThreads, noGpuReason } from './devices.js';
import { loadDlthOps, loadNative, NATIVE_GPU_PACKAGE, NATIVE_PACKAGE, nativeBackendFacts } from './native.js';
import { activate, firstLine, type Attempt, type Facts } from './activate.js';
import type { Candidate } from './types.js';
import { prepareWasm, WASM_PACKAGE, wasmFacts } from './wasm.js';
import { tryWebGpu } from './webgpu-candidate.js';

export type { Attempt, Facts } from './activate.js';

/** Fastest first. */
export const CANDIDATES: readonly Candidate[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

export function attempt(candidate: Candidate, quiet: boolean, explicit = false): Promise<Attempt> {
  switch (candidate) {
    case 'tensorflow-gpu':
      return tryNativeGpu(quiet);
    case 'webgpu':
      return tryWebGpu(explicit);
    case 'tensorflow':
      return tryNativeCpu(quiet);
    case 'wasm':
      return tryWasm();
    case 'cpu':
      return tryCpu(quiet);
  }
}

async function tryNativeGpu(quiet: boolean): Promise<Attempt> {
  const noGpu = noGpuReason(cudaGpus());
  if (noGpu !== undefined) return { ok: false, reason: noGpu };
  const load = loadNative(NATIVE_GPU_PACKAGE, quiet);
  if (!load.ok) return { ok: false, reason: load.reason };
  const res = await activate('tensorflow');
  if (!res.ok) return res;
  const { nativeVersion, gpu } = nativeBackendFacts();
  if (!gpu) return { ok: false, reason: `${NATIVE_GPU_PACKAGE} loaded but TensorFlow found no usable CUDA device` };
  return { ok: true, facts: nativeFacts(NATIVE_GPU_PACKAGE, load.tfjsNodeVersion, nativeVersion, true) };
}

async function tryNativeCpu(quiet: boolean): Promise<Attempt> {
  // tfjs-node-gpu, when it loaded, already owns the `tensorflow` backend; never load both.
  const gpuLoad = cudaGpus().length > 0 ? loadNative(NATIVE_GPU_PACKAGE, quiet) : undefined;
  const load = gpuLoad?.ok ? gpuLoad : loadNative(NATIVE_PACKAGE, quiet);
  if (!load.ok) return { ok: false, reason: load.reason };
  const res = await activate('tensorflow');
  if (!res.ok) return res;
  const { nativeVersion, gpu } = nativeBackendFacts();
  const facts = nativeFacts(load.package, load.tfjsNodeVersion, nativeVersion, gpu);
  if (!gpu) {
    const ops = loadDlthOps(load.package);
    facts.notes.push(ops.ok ? `dlth kernels: ${ops.ops.length} ops (${ops.isa})` : `dlth kernels unavailable: ${ops.reason}`);
  }
  return { ok: true, facts };
}

function nativeFacts(pkg: string, tfjsNode: string, nativeVersion: string, gpu: boolean): Facts {
  const notes = [`${pkg} ${tfjsNode}`, 'threads: TensorFlow intra-op pool (TF_NUM_INTRAOP_THREADS overrides)'];
  return { backend: 'tensorflow', package: pkg, gpu, threads: nativeThreads(), nativeVersion, notes };
}

async function tryWasm(): Promise<Attempt> {
  let wasm: Awaited<ReturnType<typeof prepareWasm>>;
  try {
    wasm = await prepareWasm();
  } catch (err) {
    return { ok: false, reason: `${WASM_PACKAGE} failed to load: ${firstLine(err)}` };
  }
  const res = await activate('wasm');
  if (!res.ok) return res;
  const { threads, notes } = await wasmFacts(wasm);
  return { ok: true, facts: { backend: 'wasm', package: WASM_PACKAGE, gpu: false, threads, notes } };
}

async function tryCpu(quiet: boolean): Promise<Attempt> {
  await import('@tensorflow/tfjs-backend-cpu');
  const res = await activate('cpu');
  if (!res.ok) return res;
  // The cpu backend prints a "install tfjs-node" hint on first use; selection already reports that.
  if (quiet) (tf.backend() as { firstUse?: boolean }).firstUse = false;
  const notes = ['pure JavaScript, one thread'];
  return { ok: true, facts: { backend: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, threads: 1, notes } };
}
