/**
 * The fuzz test's consumers, in a worker thread so that a synchronous hang (an infinite loop in a
 * decoder) can be stopped: the parent terminates the worker after a deadline and reports the case.
 * Message in: a dataset directory. Message out: the outcome of verify, the reader and the loader.
 */
import { parentPort } from 'node:worker_threads';
import { TicketLoader } from '../../src/loader/loader.js';
import { openDataset } from '../../src/shards/reader.js';
import { ticketRows } from '../../src/shards/rows.js';
import type { TicketRow } from '../../src/shards/types.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { DlthError } from '../../src/util/errors.js';

export interface Outcome {
  ok: boolean;
  /** A canonical text of the rows returned (ok only). */
  data?: string;
  error?: { name: string; typed: boolean; file?: string; message: string; stack?: string };
}

export type Outcomes = Record<'verify' | 'reader' | 'loader', Outcome>;

export function rowsText(rows: readonly TicketRow[]): string {
  return JSON.stringify(rows.map((r) => [r.id, r.label, Buffer.from(r.patches).toString('base64'), [...r.positions], [...r.scores].map(String)]));
}

async function attempt(fn: () => Promise<string | undefined>): Promise<Outcome> {
  try {
    return { ok: true, data: await fn() };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, error: { name: err.name, typed: e instanceof DlthError, file: e instanceof DlthError ? e.file : undefined, message: err.message, stack: err.stack } };
  }
}

export async function readAll(dir: string): Promise<string> {
  const rows: TicketRow[] = [];
  for await (const r of ticketRows(await openDataset(dir), { verifyHash: true })) rows.push(r);
  return rowsText(rows);
}

export async function loadAll(dir: string): Promise<string> {
  const loader = await TicketLoader.open([dir], { shuffle: 'none', batchSize: 7, prefetch: 2 });
  const rows: TicketRow[] = [];
  for await (const b of loader.batches(0)) {
    const k = b.positions.length / b.size;
    const pb = b.patches.length / b.size;
    for (let i = 0; i < b.size; i++) {
      rows.push({ id: b.ids[i], label: b.labels[i] === -1 ? null : b.labels[i], patches: b.patches.slice(i * pb, (i + 1) * pb),
        positions: b.positions.slice(i * k, (i + 1) * k), scores: b.scores.slice(i * k, (i + 1) * k) });
    }
  }
  return rowsText(rows);
}

export async function consume(dir: string): Promise<Outcomes> {
  return {
    verify: await attempt(async () => {
      await verifyDataset(dir);
      return undefined;
    }),
    reader: await attempt(() => readAll(dir)),
    loader: await attempt(() => loadAll(dir)),
  };
}

parentPort?.on('message', (dir: string) => {
  void consume(dir).then((o) => parentPort?.postMessage(o));
});
