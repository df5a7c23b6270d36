/**
 * Writes ticket datasets with the TypeScript shard writer, for the Python tests (the same helper
 * the loader tests use). Usage: node --import tsx make_dataset.ts '<json list of specs>'
 * spec: {dir, image, patch, channels, k, rows, shardBytes, seed?, prefix?}
 */
import { ticketMeta, ticketRows, writeDataset } from '../../../test/loader/helpers.js';

interface Spec {
  dir: string;
  image: number;
  patch: number;
  channels: number;
  k: number;
  rows: number;
  shardBytes: number;
  seed?: number;
  prefix?: string;
}

const specs = JSON.parse(process.argv[2] ?? '[]') as Spec[];
for (const s of specs) {
  const meta = ticketMeta({ image: s.image, patch: s.patch, channels: s.channels, k: s.k });
  await writeDataset(s.dir, meta, ticketRows(meta, s.rows, s.seed ?? 1, s.prefix ?? 's'), s.shardBytes);
}
