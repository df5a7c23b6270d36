import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

export const NATIVE_PACKAGE = '@tensorflow/tfjs-node';
export const NATIVE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
export const SETUP_HINT = 'run `bash scripts/setup-native.sh` to build it';

/** The part of tfjs-node's module this code relies on. */
interface NativeModule {
  engine(): unknown;
  version?: Record<string, string>;
}

/** The part of tfjs-node's NodeJSKernelBackend this code reads. */
interface NativeBackendShape {
  binding?: { TF_Version?: string };
  isUsingGpuDevice?: boolean;
}

export type NativeLoad =
  | { ok: true; package: string; tfjsNodeVersion: string }
  | { ok: false; package: string; reason: string };

const loads = new Map<string, NativeLoad>();

/**
 * Loads a tfjs-node package once (it registers the `tensorflow` backend on import) and checks that it
 * registered into the same tfjs-core engine that `import * as tf from '@tensorflow/tfjs-core'` sees.
 */
export function loadNative(pkg: string, quiet: boolean): NativeLoad {
  const cached = loads.get(pkg);
  if (cached) return cached;
  const result = tryLoad(pkg, quiet);
  loads.set(pkg, result);
  return result;
}

function tryLoad(pkg: string, quiet: boolean): NativeLoad {
  if (quiet && process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '2';
  let mod: NativeModule;
  try {
    mod = require(pkg) as NativeModule;
  } catch (err) {
    return { ok: false, package: pkg, reason: loadErrorReason(pkg, err) };
  }
  if (mod.engine() !== tf.engine()) {
    return { ok: false, package: pkg, reason: `${pkg} uses another @tensorflow/tfjs-core instance than ours (${tf.version_core}); dedupe node_modules` };
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    return { ok: false, package: pkg, reason: `${pkg} loaded but did not register the "tensorflow" backend` };
  }
  return { ok: true, package: pkg, tfjsNodeVersion: mod.version?.['tfjs-node'] ?? 'unknown' };
}

/** A one-line reason from a failed require of a tfjs-node package. */
export function loadErrorReason(pkg: string, err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${pkg}'`)) return `package ${pkg} is not installed`;
  const first = message.split('\n')[0]?.trim() ?? message;
  if (first.includes('tfjs_binding.node')) return `native binding not built: ${first} (${SETUP_HINT})`;
  return `${pkg} failed to load: ${first}`;
}

/** Native TF version and device use, read from the initialised `tensorflow` backend. */
export function nativeBackendFacts(): { nativeVersion: string; gpu: boolean } {
  const b = tf.findBackend('tensorflow') as NativeBackendShape | null;
  return { nativeVersion: b?.binding?.TF_Version ?? 'unknown', gpu: b?.isUsingGpuDevice === true };
}

/** dlth's own TensorFlow kernels (src/native/dlth_ops.cc), built by scripts/native/build-ops.sh. */
export const OPS_FILE = 'dlth_ops.node';
export const OPS_DISABLE_ENV = 'DLTH_NATIVE_OPS';
/** DLTH_OPS_ABI of src/native/dlth_ops.cc: the ops' interface this code calls. */
export const OPS_ABI = 1;

/** What loading dlth's kernels gave: the ops registered with TensorFlow, or why none are used. */
export type OpsLoad = { ok: true; path: string; ops: string[]; isa: string; threads: number } | { ok: false; reason: string };

interface OpsModule {
  abi?: unknown;
  ops?: unknown;
  isa?: unknown;
  error?: unknown;
  threads?: unknown;
}

let opsLoad: OpsLoad | undefined;

/**
 * Loads dlth's kernels into the TensorFlow runtime of the CPU package (once; the GPU package and
 * other backends never use them). They live beside the libtensorflow they were built against:
 * <tfjs-node>/deps/lib/dlth_ops.node. DLTH_NATIVE_OPS=0 leaves them out (the layers then use
 * TensorFlow's own ops, with the same results up to float rounding).
 */
export function loadDlthOps(pkg: string): OpsLoad {
  if (opsLoad) return opsLoad;
  opsLoad = tryLoadOps(pkg);
  return opsLoad;
}

/** The kernels' state: undefined before the CPU package was activated. */
export function dlthOps(): OpsLoad | undefined {
  return opsLoad;
}

function tryLoadOps(pkg: string): OpsLoad {
  if (process.env[OPS_DISABLE_ENV] === '0') return { ok: false, reason: `${OPS_DISABLE_ENV}=0` };
  if (pkg !== NATIVE_PACKAGE) return { ok: false, reason: `CPU kernels; not used with ${pkg}` };
  let path: string;
  try {
    path = `${require.resolve(`${pkg}/package.json`).replace(/package\.json$/, '')}deps/lib/${OPS_FILE}`;
  } catch {
    return { ok: false, reason: `${pkg} is not installed` };
  }
  const mod: { exports: OpsModule } = { exports: {} };
  try {
    process.dlopen(mod, path);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    const missing = first.includes('No such file') || first.includes('cannot open shared object');
    return { ok: false, reason: missing ? `not built (${SETUP_HINT})` : `${path} failed to load: ${first}` };
  }
  const e = mod.exports;
  if (e.abi !== OPS_ABI) return { ok: false, reason: `${path} was built from another version of src/native/dlth_ops.cc (interface ${String(e.abi)}, this code calls ${OPS_ABI}); ${SETUP_HINT}` };
  if (typeof e.error === 'string') return { ok: false, reason: `${path}: ${e.error}` };
  const ops = Array.isArray(e.ops) ? e.ops.filter((o): o is string => typeof o === 'string') : [];
  return { ok: true, path, ops, isa: String(e.isa), threads: Number(e.threads) };
}
