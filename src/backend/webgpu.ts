import * as tf from '@tensorflow/tfjs-core';

/** Dawn for Node (a WebGPU implementation on Vulkan, Metal or D3D12) and TF.js's WebGPU backend. */
export const DAWN_PACKAGE = 'webgpu';
export const WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/** What the Vulkan (or other) adapter says about itself. */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (Mesa's lavapipe / llvmpipe, SwiftShader): correct, not fast. */
  software: boolean;
  maxStorageBufferBindingSize: number;
}

/** The subset of the WebGPU API this file touches (the `webgpu` package ships the full types). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  limits: { maxStorageBufferBindingSize: number };
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

export type WebGpuLoad = { ok: true; adapter: AdapterFacts } | { ok: false; reason: string };

let loading: Promise<WebGpuLoad> | undefined;

/**
 * Creates a Dawn GPU object, installs it as `navigator.gpu` (what tfjs-backend-webgpu looks for when
 * it is imported), checks that an adapter exists, then imports the backend (registering `webgpu`).
 * Once per process. Dawn's own messages (Vulkan warnings) go to stderr.
 */
export function loadWebGpu(): Promise<WebGpuLoad> {
  loading ??= load();
  return loading;
}

async function load(): Promise<WebGpuLoad> {
  let dawn: DawnModule;
  try {
    dawn = (await import(DAWN_PACKAGE)) as unknown as DawnModule;
  } catch (err) {
    return { ok: false, reason: `${DAWN_PACKAGE} (Dawn for Node) failed to load: ${firstLine(err)}` };
  }
  const gpu = installNavigatorGpu(dawn);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (adapter === null) return { ok: false, reason: NO_ADAPTER };
  try {
    // A literal specifier, so that a bundler (scripts/gpu-check/pack.sh) includes it with tfjs-core.
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    return { ok: false, reason: `${WEBGPU_PACKAGE} failed to load: ${firstLine(err)}` };
  }
  if (tf.findBackendFactory('webgpu') === null) {
    return { ok: false, reason: `${WEBGPU_PACKAGE} loaded but did not register "webgpu" (another tfjs-core instance?)` };
  }
  return { ok: true, adapter: adapterFacts(adapter) };
}

export const NO_ADAPTER =
  'Dawn found no WebGPU adapter: no Vulkan driver with what Dawn needs (a GPU driver, or for CPU ' +
  'Mesa lavapipe >= 25: bash scripts/setup-webgpu.sh, then VK_ICD_FILENAMES=.cache/vulkan/lvp_icd.json)';

/** Dawn's globals (GPUBufferUsage, …) and `navigator.gpu`, which Node 20 lacks. */
function installNavigatorGpu(dawn: DawnModule): GpuLike {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
  }
  const gpu = g.navigator?.gpu ?? dawn.create([]);
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  else if (g.navigator.gpu === undefined) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  return gpu;
}

export function adapterFacts(a: GpuAdapterLike): AdapterFacts {
  const info = a.info ?? {};
  const facts = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const text = Object.values(facts).join(' ').toLowerCase();
  const software = /software|llvmpipe|lavapipe|swiftshader/.test(text);
  return { ...facts, software, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize };
}

/** One line naming the adapter. */
export function adapterLine(a: AdapterFacts): string {
  const name = a.description || a.device || a.vendor || 'unnamed adapter';
  return `${name}${a.software ? ' (software: CPU emulation, not a GPU)' : ''}`;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
