import type { AdapterFacts } from './webgpu.js';

/** Types of the compute backend: what can be asked for, what was chosen, and why not faster. */

/**
 * What a caller may ask for (`--backend`, `DLTH_BACKEND`). `tensorflow` is native TF (GPU or CPU);
 * `webgpu` is tfjs-backend-webgpu on Dawn (any Vulkan device, including a software one).
 */
export const BackendName = {
  Auto: 'auto',
  Tensorflow: 'tensorflow',
  WebGpu: 'webgpu',
  Wasm: 'wasm',
  Cpu: 'cpu',
} as const;
export type BackendName = (typeof BackendName)[keyof typeof BackendName];
export const BACKEND_NAMES: readonly BackendName[] = Object.values(BackendName);

/** A backend that can actually run: the TF.js backend names registered in tfjs-core. */
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

/** The candidates tried by `auto`, fastest first. `tensorflow-gpu` is the tfjs-node-gpu package. */
export type Candidate = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendOptions {
  /** Overrides `DLTH_BACKEND`; default `auto`. */
  backend?: BackendName;
  /** Silence TensorFlow's C++ info logs and tfjs console hints. Default true. */
  quiet?: boolean;
}

export interface DeviceInfo {
  type: 'cpu' | 'gpu';
  name: string;
  /** Logical cores for a CPU. */
  cores?: number;
}

/** The backend in use after `initBackend`. */
export interface BackendInfo {
  /** The tfjs-core backend name (`tf.getBackend()`). */
  backend: ConcreteBackend;
  /** What was asked for, and where the request came from. */
  requested: BackendName;
  requestedBy: 'option' | 'env' | 'default';
  /** npm package that provides the backend. */
  package: string;
  /** Runs on a GPU (tfjs-node-gpu with a CUDA device, or webgpu on a hardware adapter). */
  gpu: boolean;
  /** Intra-op threads the backend computes with. */
  threads: number;
  /** `@tensorflow/tfjs-core` version. */
  tfjsVersion: string;
  /** The native TensorFlow library version (native backend only). */
  nativeVersion?: string;
  /** Extra facts (wasm SIMD, why threads are limited). */
  notes: string[];
  /** The WebGPU adapter (webgpu backend only). */
  adapter?: AdapterFacts;
}

/** A faster backend that is not in use, and why. */
export interface Unavailable {
  candidate: Candidate;
  reason: string;
}

export interface BackendReport extends BackendInfo {
  devices: DeviceInfo[];
  unavailable: Unavailable[];
  node: string;
  platform: string;
}
