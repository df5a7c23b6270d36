/**
 * TensorFlow kernels that tfjs does not expose, for the native (`tensorflow`) backend, registered as
 * tfjs kernels of their own (so the engine tracks and profiles them) on first use; callers use plain
 * tfjs ops on other backends, with the same results up to float rounding.
 *
 * - dlth's own kernels (src/native/dlth_ops.cc, when built and loaded; `dlthKernels()`): LayerNorm,
 *   GELU and attention, one kernel each way, compiled for this machine's instruction set.
 * - Otherwise row standardisation by TensorFlow's FusedBatchNorm (rows as its channels), one kernel
 *   each way instead of about a dozen broadcasting passes over the activations.
 *
 * (TensorFlow's BiasAdd and BiasAddGrad were tried for the dense layers' biases too: no faster than
 * tfjs's broadcast add and sum on this machine.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { dlthOps } from '../../backend/native.js';

const ROW_NORM = 'DlthRowNorm';
const ROW_NORM_GRAD = 'DlthRowNormGrad';

interface OpAttr {
  name: string;
  type: number;
  value: boolean | number | string;
}

/** What these kernels use of tfjs-node's backend (NodeJSKernelBackend). */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number; TF_ATTR_STRING: number; TF_ATTR_FLOAT: number; TF_ATTR_BOOL: number; TF_ATTR_INT: number };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], numOutputs: number): tf.Tensor[];
}

function isNative(b: unknown): b is NativeBackend {
  const n = b as Partial<NativeBackend> | null;
  return typeof n?.executeSingleOutput === 'function' && typeof n.executeMultipleOutputs === 'function' && typeof n.binding?.TF_ATTR_TYPE === 'number';
}

const floatAttr = (b: NativeBackend, name = 'T'): OpAttr => ({ name, type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT });

/** FusedBatchNorm(V3/GradV3) in training mode, channels first: [1, rows, features, 1] normalised per row. */
function normAttrs(b: NativeBackend, eps: number): OpAttr[] {
  return [
    floatAttr(b), floatAttr(b, 'U'),
    { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: eps },
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NCHW' },
    { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: true },
  ];
}

/** Unit scale, zero offset, and the empty mean and variance that training mode takes. */
function normConstants(rows: number): tf.Tensor[] {
  return [tf.ones([rows]), tf.zeros([rows]), tf.tensor1d([]), tf.tensor1d([])];
}

type Inputs = Partial<Record<string, tf.TensorInfo>>;

/** The kernel's named inputs, in order (the engine passes exactly what runKernel was given). */
function ins(inputs: Inputs, ...names: string[]): tf.TensorInfo[] {
  return names.map((n) => {
    const t = inputs[n];
    if (!t) throw new Error(`native kernel: missing input ${n}`);
    return t;
  });
}

const epsOf = (attrs: tf.NamedAttrMap | undefined): number => Number(attrs?.eps);
const intAttr = (b: NativeBackend, attrs: tf.NamedAttrMap | undefined, name: string): OpAttr => ({ name, type: b.binding.TF_ATTR_INT, value: Number(attrs?.[name]) });
const attentionAttrs = (b: NativeBackend, attrs: tf.NamedAttrMap | undefined): OpAttr[] => [intAttr(b, attrs, 'heads'), intAttr(b, attrs, 'tokens')];

/** A tfjs kernel that runs the TensorFlow op of the same name on its inputs, in order. */
function passThrough(name: string, inputNames: string[], outputs: number, attrsOf: (b: NativeBackend, attrs: tf.NamedAttrMap | undefined) => OpAttr[]): tf.KernelConfig {
  return {
    kernelName: name, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as NativeBackend;
      const xs = ins(inputs, ...inputNames);
      return outputs === 1 ? b.executeSingleOutput(name, attrsOf(b, attrs), xs) : b.executeMultipleOutputs(name, attrsOf(b, attrs), xs, outputs);
    },
  };
}

const none = (): OpAttr[] => [];

/** dlth's own kernels (src/native/dlth_ops.cc). */
const DLTH_KERNELS: tf.KernelConfig[] = [
  passThrough('DlthLayerNorm', ['x'], 2, (b, a) => [{ name: 'eps', type: b.binding.TF_ATTR_FLOAT, value: epsOf(a) }]),
  passThrough('DlthLayerNormGrad', ['dy', 'xhat', 'rstd'], 1, none),
  passThrough('DlthGelu', ['u'], 1, none),
  passThrough('DlthGeluGrad', ['dy', 'u'], 1, none),
  passThrough('DlthAttention', ['qkv'], 2, attentionAttrs),
  passThrough('DlthAttentionGrad', ['dy', 'qkv', 'probs', 'ctx'], 1, attentionAttrs),
];

const KERNELS: tf.KernelConfig[] = [
  {
    kernelName: ROW_NORM, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as NativeBackend;
      const [x] = ins(inputs, 'x');
      const consts = normConstants(x.shape[1]);
      const attr: OpAttr = { name: 'exponential_avg_factor', type: b.binding.TF_ATTR_FLOAT, value: 1 };
      const out = b.executeMultipleOutputs('FusedBatchNormV3', [...normAttrs(b, epsOf(attrs)), attr], [x, ...consts], 6);
      tf.dispose([...consts, out[1], out[2]]);
      return [out[0], out[3], out[4], out[5]];
    },
  },
  {
    kernelName: ROW_NORM_GRAD, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as NativeBackend;
      const [dy, x, r1, r2, r3] = ins(inputs, 'dy', 'x', 'r1', 'r2', 'r3');
      const scale = tf.ones([x.shape[1]]);
      const out = b.executeMultipleOutputs('FusedBatchNormGradV3', normAttrs(b, epsOf(attrs)), [dy, x, scale, r1, r2, r3], 5);
      tf.dispose([scale, ...out.slice(1)]);
      return out[0];
    },
  },
];

let registered = false;
let dlthRegistered = false;
let dlthEnabled = true;

/**
 * Turns dlth's own kernels off (or back on) for the ops recorded from now on, leaving TensorFlow's
 * own: for comparing the two in one process (the tests). Across processes: DLTH_NATIVE_OPS=0.
 */
export function setDlthKernels(enabled: boolean): void {
  dlthEnabled = enabled;
}

/**
 * True when dlth's own kernels can run: the native CPU backend is active and loaded them
 * (src/backend/native.ts `loadDlthOps`); registers their tfjs kernels the first time.
 */
export function dlthKernels(): boolean {
  if (!dlthEnabled || !nativeKernels()) return false;
  const ops = dlthOps();
  if (!ops?.ok || !DLTH_KERNELS.every((k) => ops.ops.includes(k.kernelName))) return false;
  if (!dlthRegistered) {
    for (const k of DLTH_KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
    dlthRegistered = true;
  }
  return true;
}

/** True when the native kernels can run on the active backend (registering them the first time). */
export function nativeKernels(): boolean {
  if (tf.getBackend() !== 'tensorflow' || !isNative(tf.backend())) return false;
  if (!registered) {
    for (const k of KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
    registered = true;
  }
  return true;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] => tf.engine().runKernel(name, inputs, attrs);

/**
 * x̂ = (x − μ)/√(σ² + ε) per row of x [T, D] (biased variance, as LayerNorm), by FusedBatchNorm.
 * Only on the native backend (`nativeKernels()`); `saved` feeds `rowNormGrad`.
 */
export function rowNorm(x: tf.Tensor2D, eps: number): { xhat: tf.Tensor2D; saved: tf.Tensor[] } {
  const [t, d] = x.shape;
  const x4 = tf.reshape(x, [1, t, d, 1]);
  const [y, r1, r2, r3] = run(ROW_NORM, { x: x4 }, { eps }) as tf.Tensor[];
  return { xhat: tf.reshape(y, [t, d]), saved: [x4, r1, r2, r3] };
}

/** The gradient of `rowNorm` with respect to x, from dy [T, D] and its `saved` tensors. */
export function rowNormGrad(dy: tf.Tensor, saved: tf.Tensor[], eps: number): tf.Tensor2D {
  const [x, r1, r2, r3] = saved;
  const [, t, d] = x.shape;
  const dx = run(ROW_NORM_GRAD, { dy: tf.reshape(dy, [1, t, d, 1]), x, r1, r2, r3 }, { eps }) as tf.Tensor;
  return tf.reshape(dx, [t, d]);
}

/** x̂ and r = 1/√(σ² + ε) per row of x [T, D], by dlth's kernel (`dlthKernels()`). */
export function layerNormRows(x: tf.Tensor2D, eps: number): { xhat: tf.Tensor2D; rstd: tf.Tensor1D } {
  const [xhat, rstd] = run('DlthLayerNorm', { x }, { eps }) as [tf.Tensor2D, tf.Tensor1D];
  return { xhat, rstd };
}

/** r·(g − mean(g) − x̂·mean(g·x̂)) per row: the gradient of `layerNormRows`' x̂ with respect to x. */
export function layerNormRowsGrad(dy: tf.Tensor2D, xhat: tf.Tensor, rstd: tf.Tensor): tf.Tensor2D {
  return run('DlthLayerNormGrad', { dy, xhat, rstd }) as tf.Tensor2D;
}

/** u·(1 + erf(u)) element-wise, and its gradient dy·(1 + erf(u) + u·(2/√π)·e^(−u²)). */
export const geluKernel = (u: tf.Tensor): tf.Tensor => run('DlthGelu', { u }) as tf.Tensor;
export const geluGradKernel = (dy: tf.Tensor, u: tf.Tensor): tf.Tensor => run('DlthGeluGrad', { dy, u }) as tf.Tensor;

/** softmax(q·kᵀ)·v per head of fused qkv rows [B·N, 3D] (q pre-scaled): context rows [B·N, D] and P [B·H, N, N]. */
export function attentionKernel(qkv: tf.Tensor2D, heads: number, tokens: number): { ctx: tf.Tensor2D; probs: tf.Tensor3D } {
  const [ctx, probs] = run('DlthAttention', { qkv }, { heads, tokens }) as [tf.Tensor2D, tf.Tensor3D];
  return { ctx, probs };
}

/** The gradient of `attentionKernel` with respect to qkv, from the context's gradient. */
export function attentionGradKernel(dy: tf.Tensor2D, qkv: tf.Tensor2D, probs: tf.Tensor3D, ctx: tf.Tensor2D, heads: number, tokens: number): tf.Tensor2D {
  return run('DlthAttentionGrad', { dy, qkv, probs, ctx }, { heads, tokens }) as tf.Tensor2D;
}
