/** Public API of the shard format: writer, reader, store, manifest, verification. */
export * from './types.js';
export { arrowSchema, checkSchema, gridSize, patchBytes } from './schema.js';
export { shardLayout, shardFileName, shardCount, shardSlots, DEFAULT_SHARD_BYTES, DEFAULT_BATCH_BYTES, type ShardLayout, type LayoutOptions } from './layout.js';
export { buildManifest, parseManifest, serializeManifest, datasetFingerprint, MANIFEST_FILE, MAX_MANIFEST_BYTES } from './manifest.js';
export { checkMeta } from './meta.js';
export { ShardWriter, createTicketWriter, createScoreWriter, type WriterOptions, type FinalizeResult } from './writer.js';
export { TicketEncoder, checkPositions } from './encode/tickets.js';
export { ScoreEncoder } from './encode/scores.js';
export type { BatchEncoder } from './encode/encoder.js';
export { LocalStore, type DatasetStore, type ShardSource } from './store.js';
export { openDataset, ticketBatches, scoreBatches, shardBatches, type Dataset, type ReadOptions } from './reader.js';
export { ticketRows, scoreRows, ticketRowAt, scoreRowAt, type RowOptions } from './rows.js';
export { labelAt } from './decode/columns.js';
export type { TicketBatch } from './decode/tickets.js';
export type { ScoreBatch } from './decode/scores.js';
export { verifyDataset, scoresMustBeFinite, type VerifyResult } from './verify.js';
export { hashFile } from './hashfile.js';
