import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

export const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** Why the wasm backend runs one thread under Node.js (checked by tfjs, and by hand, for 4.22). */
export const WASM_THREADS_NOTE =
  'wasm threads: off; tfjs-backend-wasm disables multithreading under Node.js (tfjs issue #3830), ' +
  'and forcing it fails because Node workers cannot load blob: URLs';

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

let prepared: Promise<WasmModule> | undefined;

/** Directory of the .wasm binaries in node_modules, with a trailing separator (a path prefix). */
export function wasmDir(): string {
  return `${join(dirname(require.resolve(`${WASM_PACKAGE}/package.json`)), 'dist')}/`;
}

/**
 * Imports the wasm backend (registering it) and points it at the node_modules binaries, once.
 * Threads are used when tfjs reports support for them, which it never does under Node.js.
 */
export function prepareWasm(): Promise<WasmModule> {
  prepared ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDir());
    return wasm;
  })();
  return prepared;
}

export interface WasmFacts {
  threads: number;
  notes: string[];
}

/** Facts of an initialised wasm backend. */
export async function wasmFacts(wasm: WasmModule): Promise<WasmFacts> {
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const multi = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const notes = [`wasm SIMD: ${simd ? 'on' : 'off'}`];
  if (!multi) notes.push(WASM_THREADS_NOTE);
  return { threads: wasm.getThreadsCount(), notes };
}
