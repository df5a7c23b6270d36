/**
 * Parameter containers of the layers. Dense weights are stored [in, out] (TensorFlow.js matmul
 * order); the checkpoint code converts to and from PyTorch's [out, in].
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface DenseParams {
  /** [in, out] */
  weight: tf.Variable;
  /** [out], or null for a bias-free layer (qkvBias: false). */
  bias: tf.Variable | null;
}

export interface NormParams {
  weight: tf.Variable;
  bias: tf.Variable;
}

export interface AttentionParams {
  /** Fused q, k, v projection [D, 3D]: output columns are q (heads × headDim), then k, then v. */
  qkv: DenseParams;
  proj: DenseParams;
}

export interface MlpParams {
  fc1: DenseParams;
  fc2: DenseParams;
}

export interface BlockParams {
  norm1: NormParams;
  attn: AttentionParams;
  norm2: NormParams;
  mlp: MlpParams;
}
