import { findCudaLibraries, queryNvidiaSmi, type CudaLibrary, type NvidiaSmi } from './gpu-info.js';
import type { BackendReport } from './types.js';
import { adapterLine, loadWebGpu, type AdapterFacts } from './webgpu.js';

/** What `dlth doctor` says about GPUs, beyond the backend report. */
export interface GpuReport {
  nvidiaSmi: NvidiaSmi;
  cudaLibraries: CudaLibrary[];
  vulkan: { adapter: AdapterFacts } | { reason: string };
  /** Why the backend in use does not run on a GPU; absent when it does. */
  whyNotGpu?: string;
}

/** Probes nvidia-smi, the CUDA libraries and a WebGPU (Vulkan) adapter, and explains the choice. */
export async function gpuReport(backend: BackendReport): Promise<GpuReport> {
  const nvidiaSmi = queryNvidiaSmi();
  const cudaLibraries = findCudaLibraries();
  const load = await loadWebGpu();
  const vulkan = load.ok ? { adapter: load.adapter } : { reason: load.reason };
  const report: GpuReport = { nvidiaSmi, cudaLibraries, vulkan };
  if (!backend.gpu) report.whyNotGpu = whyNotGpu(backend, nvidiaSmi, cudaLibraries);
  return report;
}

/** One sentence: the first cause that applies, from the driver up to the backends' own reasons. */
export function whyNotGpu(backend: BackendReport, smi: NvidiaSmi, libs: CudaLibrary[]): string {
  const reasons = backend.unavailable
    .filter((u) => u.candidate === 'tensorflow-gpu' || u.candidate === 'webgpu')
    .map((u) => `${u.candidate}: ${u.reason}`);
  if (!smi.found || smi.gpus.length === 0) {
    return [smi.reason ?? 'nvidia-smi lists no GPU', ...reasons].join('; ');
  }
  const missing = libs.filter((l) => l.path === undefined).map((l) => l.soname);
  if (missing.length > 0) {
    reasons.unshift(`CUDA libraries missing: ${missing.join(', ')} (run \`DLTH_GPU=1 npm run setup\`)`);
  }
  if (backend.backend === 'webgpu' && backend.adapter?.software) reasons.unshift('the WebGPU adapter is a software one');
  return reasons.join('; ') || `${backend.requested} was requested by ${backend.requestedBy}`;
}

/** Lines for the human-readable doctor output. */
export function formatGpuReport(r: GpuReport): string {
  const lines: string[] = [];
  if (r.nvidiaSmi.gpus.length === 0) lines.push(`nvidia:      ${r.nvidiaSmi.reason ?? 'no GPU listed by nvidia-smi'}`);
  for (const g of r.nvidiaSmi.gpus) {
    lines.push(`nvidia:      GPU ${g.index} ${g.name}, compute capability ${g.computeCapability}, ${g.memoryMiB} MiB, driver ${g.driver}`);
  }
  const found = r.cudaLibraries.filter((l) => l.path !== undefined);
  const missing = r.cudaLibraries.filter((l) => l.path === undefined).map((l) => l.soname);
  lines.push(`cuda libs:   ${found.length}/${r.cudaLibraries.length} found${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  for (const l of found) lines.push(`cuda lib:    ${l.soname} => ${l.path}`);
  lines.push(`vulkan:      ${'adapter' in r.vulkan ? adapterLine(r.vulkan.adapter) : r.vulkan.reason}`);
  if (r.whyNotGpu !== undefined) lines.push(`no gpu:      ${r.whyNotGpu}`);
  return lines.join('\n');
}
