/**
 * A worker part's rows against its slot. Worker i of N covers the slots [start, end) of the sorted
 * source, cut into pieces on the shard grid (part.json); the piece of shard j must hold exactly its
 * slots less the samples its errors.jsonl records as failed, and, walking the slots in order (a
 * failed slot takes its failure record's id), the ids of those slots: the source's own where the
 * caller has the source, else ids strictly ascending in code-unit order (the order every source is
 * sorted in). A dataset with views holds K rows per slot, its views in order (one id). Merge refuses
 * a part that holds more, fewer, other or reordered rows.
 */
import { join } from 'node:path';
import type { Dataset } from '../shards/reader.js';
import { scoreBatches, ticketBatches } from '../shards/reader.js';
import { DatasetKind } from '../shards/types.js';
import { InputError, show } from '../util/errors.js';
import { ERRORS_FILE, type FailureRecord } from './failures.js';
import { PART_FILE, type PartInfo, type PartPiece } from './part.js';

/** What merge needs of the source, when the caller has it: its size, fingerprint and ids. */
export interface SlotSource {
  size: number;
  fingerprint: string;
  ref(index: number): { id: string };
}

/** The ids at the ends of a part (null for a part of no rows), for the order across parts. */
export interface PartEnds {
  first: string | null;
  last: string | null;
}

interface Walk {
  dir: string;
  source: SlotSource | undefined;
  ends: PartEnds;
}

/** Checks the id of slot `slot` (found in `file`) against the source or the ids before it. */
function checkId(w: Walk, id: string, slot: number, file: string): void {
  const want = w.source?.ref(slot).id;
  if (want !== undefined && id !== want) throw new InputError(`slot ${slot} holds id ${show(id)}; the source's slot ${slot} is ${show(want)}`, { file });
  if (w.ends.last !== null && !(w.ends.last < id)) throw new InputError(`slot ${slot} holds id ${show(id)} after ${show(w.ends.last)}: not in the source's order`, { file });
  w.ends.first ??= id;
  w.ends.last = id;
}

/** The failure records of a part: inside its slots, in order, one per slot. */
function checkFailures(failures: readonly FailureRecord[], info: PartInfo, dir: string): void {
  let prev = -1;
  for (const f of failures) {
    if (f.index < info.range.start || f.index >= info.range.end || f.index <= prev) {
      throw new InputError(`records sample ${f.index}, ${f.index <= prev ? 'out of order' : `outside the part's slots [${info.range.start}, ${info.range.end})`}`, { file: join(dir, ERRORS_FILE) });
    }
    prev = f.index;
  }
}

function idBatches(ds: Dataset, at: number): AsyncGenerator<{ ids: string[] }> {
  return ds.manifest.kind === DatasetKind.Tickets ? ticketBatches(ds, { shards: [at] }) : scoreBatches(ds, { shards: [at] });
}

async function checkPiece(w: Walk, ds: Dataset, at: number, piece: PartPiece, failures: readonly FailureRecord[]): Promise<void> {
  const entry = ds.manifest.shards[at];
  const file = ds.store.describe(entry?.file ?? String(at));
  const failed = failures.filter((f) => f.index >= piece.start && f.index < piece.end);
  const K = ds.meta.views?.count ?? 1;
  const want = (piece.end - piece.start - failed.length) * K;
  if (entry?.rows !== want) {
    const per = K > 1 ? ` (${K} rows, one per view, each)` : '';
    throw new InputError(`holds ${entry?.rows ?? 0} rows; its slots [${piece.start}, ${piece.end}) less ${failed.length} recorded failure(s) make ${want}${per}`, { file });
  }
  let slot = piece.start;
  let f = 0;
  const skipFailed = (): void => {
    for (let r = failed[f]; r?.index === slot; r = failed[++f]) checkId(w, r.id, slot++, join(w.dir, ERRORS_FILE));
  };
  let view = 0;
  let group = '';
  for await (const b of idBatches(ds, at)) {
    for (const id of b.ids) {
      if (view > 0 && id !== group) throw new InputError(`slot ${slot - 1} holds id ${show(group)} in view 0 and ${show(id)} in view ${view}`, { file });
      if (view === 0) {
        skipFailed();
        checkId(w, id, slot++, file);
        group = id;
      }
      view = (view + 1) % K;
    }
  }
  skipFailed();
}

/**
 * Checks every piece of a part (see the module comment); throws an InputError naming the part's
 * file at fault. Returns the part's first and last ids.
 */
export async function checkPartRows(dir: string, ds: Dataset, info: PartInfo, failures: readonly FailureRecord[], source?: SlotSource): Promise<PartEnds> {
  if (source && (source.size !== info.slots || source.fingerprint !== ds.meta.source.fingerprint)) {
    throw new InputError(`made from a source of ${info.slots} samples (${ds.meta.source.fingerprint}), not the one given (${source.size} samples, ${source.fingerprint})`, { file: join(dir, PART_FILE) });
  }
  checkFailures(failures, info, dir);
  const w: Walk = { dir, source, ends: { first: null, last: null } };
  for (const [at, piece] of info.pieces.entries()) await checkPiece(w, ds, at, piece, failures);
  return w.ends;
}
