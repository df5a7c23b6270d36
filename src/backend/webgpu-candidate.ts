import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { activate, type Attempt } from './activate.js';
import { cudaGpus } from './devices.js';
import { adapterLine, loadWebGpu, WEBGPU_PACKAGE, type AdapterFacts } from './webgpu.js';

const DRI = '/dev/dri';

/**
 * Whether the kernel shows any GPU at all: an NVIDIA one (/proc/driver/nvidia/gpus, or its device
 * node where /proc is not the host's, as in some sandboxes), or a DRM render node (AMD, Intel, …).
 */
export function gpuVisible(dri = DRI): boolean {
  if (cudaGpus().length > 0 || existsSync('/dev/nvidiactl')) return true;
  try {
    return existsSync(dri) && readdirSync(dri).some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}

/**
 * The webgpu candidate. Asked for by name it takes any adapter, a software one included (that is
 * how CI checks this code path). Under `auto` it is tried only when a GPU is visible, and a
 * software adapter is refused: native TensorFlow on the CPU is far faster than Vulkan emulated on it.
 */
export async function tryWebGpu(explicit: boolean): Promise<Attempt> {
  if (!explicit && !gpuVisible()) {
    return { ok: false, reason: 'no GPU visible (no NVIDIA driver or /dev/nvidiactl, no /dev/dri render node); ask for it with --backend webgpu' };
  }
  const load = await loadWebGpu();
  if (!load.ok) return load;
  if (!explicit && load.adapter.software) {
    return { ok: false, reason: `only a software Vulkan adapter (${adapterLine(load.adapter)}): slower than the CPU backends` };
  }
  const res = await activate('webgpu');
  if (!res.ok) return res;
  return { ok: true, facts: webGpuFacts(load.adapter) };
}

function webGpuFacts(a: AdapterFacts) {
  const threads = a.software ? availableParallelism() : 1;
  const notes = [`adapter: ${adapterLine(a)}`, `vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}`];
  if (a.software) notes.push('threads: the software rasteriser\'s (LP_NUM_THREADS overrides)');
  return { backend: 'webgpu' as const, package: WEBGPU_PACKAGE, gpu: !a.software, threads, notes, adapter: a };
}
