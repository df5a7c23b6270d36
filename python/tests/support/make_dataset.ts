/**
 * Writes ticket datasets with the TypeScript shard writer, for the Python tests (the same helper
 * the loader tests use). Usage: node --import tsx make_dataset.ts '<json list of specs>'
 * spec: {dir, image, patch, channels, k, rows, shardBytes, seed?, prefix?, views?, swap?}; with `views` K ≥ 2,
 * `rows` images of K rows each (meta.views); `swap`: rows `swap` and `swap` + 1 exchanged (a broken view order).
 */
import { ticketMeta, ticketRows, ticketViewRows, viewsMeta, writeDataset } from '../../../test/loader/helpers.js';
import type { TicketRow } from '../../../src/shards/types.js';

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
  views?: number;
  swap?: number;
}

const specs = JSON.parse(process.argv[2] ?? '[]') as Spec[];
for (const s of specs) {
  const plain = ticketMeta({ image: s.image, patch: s.patch, channels: s.channels, k: s.k });
  const meta = s.views !== undefined && s.views > 1 ? { ...plain, views: viewsMeta(s.views) } : plain;
  const rows = meta.views ? ticketViewRows(meta, s.rows, s.seed ?? 1, s.prefix ?? 's') : ticketRows(meta, s.rows, s.seed ?? 1, s.prefix ?? 's');
  if (s.swap !== undefined) [rows[s.swap], rows[s.swap + 1]] = [rows[s.swap + 1] as TicketRow, rows[s.swap] as TicketRow];
  await writeDataset(s.dir, meta, rows, s.shardBytes);
}
