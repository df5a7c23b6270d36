/**
 * Gradient functions for tfjs-core's kernels. tfjs-core alone registers none (the full
 * `@tensorflow/tfjs` bundle does, and tfjs-node loads it); on the wasm and cpu backends training
 * would fail with "gradient function not found for Mean". `ensureGradients` loads the bundle once
 * when gradients are missing; it ships with tfjs-node (an optional dependency) and registers into
 * tfjs-core's global registry, shared by every copy of the library.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../util/errors.js';

const FULL_BUNDLE = '@tensorflow/tfjs';

export function gradientsRegistered(): boolean {
  return tf.getGradient('Mean') !== undefined && tf.getGradient('BatchMatMul') !== undefined;
}

let done = false;

/** Makes sure every kernel gradient is registered; throws a BackendError saying how to fix it if not. */
export function ensureGradients(): void {
  if (done || gradientsRegistered()) {
    done = true;
    return;
  }
  try {
    createRequire(import.meta.url)(FULL_BUNDLE);
  } catch (err) {
    throw new BackendError(`training needs the gradient functions of ${FULL_BUNDLE}, which could not be loaded (npm install ${FULL_BUNDLE}@${tf.version_core}): ${String(err)}`, { cause: err });
  }
  if (!gradientsRegistered()) throw new BackendError(`${FULL_BUNDLE} loaded but registered no gradients`);
  done = true;
}
