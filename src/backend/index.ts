export { initBackend, selectBackend, candidatesFor, type BackendSelection } from './init.js';
export { backendReport, formatBackendReport, candidateOf } from './report.js';
export { resolveBackendOptions, parseBackendName, isBackendName, BACKEND_ENV } from './options.js';
export { cudaGpus, cpuDevice } from './devices.js';
export { NATIVE_PACKAGE, NATIVE_GPU_PACKAGE } from './native.js';
export { WASM_PACKAGE, wasmDir } from './wasm.js';
export { loadWebGpu, adapterLine, WEBGPU_PACKAGE, DAWN_PACKAGE, type AdapterFacts } from './webgpu.js';
export {
  BackendName,
  BACKEND_NAMES,
  type ConcreteBackend,
  type Candidate,
  type BackendOptions,
  type BackendInfo,
  type BackendReport,
  type DeviceInfo,
  type Unavailable,
} from './types.js';
