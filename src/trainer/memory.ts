/**
 * What a model costs to train, checked before any tensor exists: float32 weights, their gradients
 * and AdamW's two moments (4 × 4 bytes per parameter; activations, which depend on the batch, come
 * on top). A model over the limit (`maxModelBytes`, default 4 GiB, and never more than the
 * machine's memory) is refused in one line instead of allocating for minutes and dying.
 */
import { totalmem } from 'node:os';
import { parameterCount, type ViTConfig } from '../model/configs.js';
import { InputError } from '../util/errors.js';

/** Bytes per parameter while training: weight, gradient, AdamW m and v, float32 each. */
export const TRAINING_BYTES_PER_PARAMETER = 16;

/** Default `maxModelBytes`: 4 GiB. */
export const DEFAULT_MAX_MODEL_BYTES = 4 * 1024 ** 3;

/** TensorFlow indexes a tensor's elements with 32-bit integers. */
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

const GIB = 1024 ** 3;
const gib = (bytes: number): string => `${(bytes / GIB).toFixed(bytes < GIB ? 3 : 1)} GiB`;

export interface ModelCost {
  parameters: number;
  /** Weights, gradients and AdamW moments, in bytes. */
  bytes: number;
}

export function trainingCost(config: ViTConfig): ModelCost & { largest: number } {
  const { total, largest } = parameterCount(config);
  return { parameters: total, bytes: total * TRAINING_BYTES_PER_PARAMETER, largest };
}

function shape(c: ViTConfig): string {
  return `dim ${c.dim}, depth ${c.depth}, heads ${c.heads}, mlpRatio ${c.mlpRatio}, image ${c.imageSize.join('×')}, patch ${c.patchSize}`;
}

/**
 * The cost of training `config`; an InputError when it exceeds `maxBytes` or the machine's memory
 * (`machineBytes`), or when one tensor is too large for TensorFlow.
 */
export function checkModelMemory(config: ViTConfig, variant: string, maxBytes: number, machineBytes = totalmem()): ModelCost {
  const cost = trainingCost(config);
  const limit = Math.min(maxBytes, machineBytes);
  const what = `model ${variant} (${shape(config)}) has ${cost.parameters.toLocaleString('en-US')} parameters`;
  if (cost.bytes > limit) {
    const bound = maxBytes <= machineBytes ? `the ${gib(maxBytes)} limit (raise it with --max-model-memory <GiB>)` : `this machine's ${gib(machineBytes)} of memory`;
    throw new InputError(`${what}: their weights, gradients and AdamW moments need ${gib(cost.bytes)}, over ${bound}`);
  }
  if (cost.largest > MAX_TENSOR_ELEMENTS) throw new InputError(`${what}: one of its tensors has ${cost.largest} elements, more than TensorFlow's ${MAX_TENSOR_ELEMENTS}`);
  return { parameters: cost.parameters, bytes: cost.bytes };
}
