/**
 * Messages between a data-parallel trainer (data-parallel.ts) and its worker processes
 * (grad-worker.ts). The bulk data (parameters, batch parts, gradients) goes through one exchange
 * file on a memory file system (exchange.ts): Node's IPC channel moves ~80 MB/s, a tmpfs file
 * several GB/s. Messages carry only offsets and scalars.
 */
import type { BackendName } from '../backend/types.js';
import type { ViTConfig } from '../model/configs.js';

/** Where one worker's batch part lies in the exchange file (byte offsets). */
export interface PartAt {
  size: number;
  k: number;
  patchesAt: number;
  patchBytes: number;
  positionsAt: number;
  labelsAt: number;
  /** Soft targets (mixup/cutmix): `targetValues` float32 values at `targetsAt`; 0 when the batch has none. */
  targetsAt: number;
  targetValues: number;
}

export type WorkerRequest =
  | { type: 'init'; model: ViTConfig; backend?: BackendName; names: string[]; sizes: number[]; exchange: string; gradAt: number }
  | { type: 'step'; id: number; part: PartAt; labelSmoothing: number };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'grad'; id: number; loss: number; correct: number }
  | { type: 'error'; id: number; message: string };
