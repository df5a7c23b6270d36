/**
 * A record batch's body compressed (Arrow IPC body compression, method BUFFER): each buffer
 * replaced by its compressed form (compression.ts), the codec recorded for the batch header.
 * Mirror of decode/compression.ts.
 */
import { ARROW_CODEC, compressBuffer } from '../compression.js';
import type { BatchLayout } from '../ipc.js';
import type { Codec } from '../types.js';

export function compressLayout(batch: BatchLayout, codec: Codec): BatchLayout {
  return { ...batch, buffers: batch.buffers.map((b) => compressBuffer(codec, b)), compression: ARROW_CODEC[codec] };
}
