/**
 * Full verification of a dataset directory (or store): the manifest (schema, version, safe names,
 * fingerprint), every shard's size and sha256, Arrow schema and metadata against the manifest, the
 * record-batch layout, and the values: positions strictly ascending in [0, N), rank permutations,
 * labels within numClasses, scores NaN or finite as the policy requires, and with views each image's
 * rows its views 0…K−1 in order (decode/views.ts). Throws a typed error
 * naming the file and the reason at the first problem.
 */
import { ShardError } from '../util/errors.js';
import type { Fs } from '../util/fsx.js';
import { labelAt, type IdLabel } from './decode/columns.js';
import { decodeScoreBatch } from './decode/scores.js';
import { ReadBuffers } from './decode/stream.js';
import { decodeTicketBatch } from './decode/tickets.js';
import { ViewGroups } from './decode/views.js';
import { openDataset, shardBatches, type Dataset } from './reader.js';
import type { DatasetStore } from './store.js';
import { DatasetKind, Policy, type DatasetMeta } from './types.js';

export interface VerifyResult {
  dir: string;
  kind: DatasetKind;
  rows: number;
  shards: number;
  bytes: number;
  fingerprint: string;
}

/** Which scores a dataset may hold: NaN (no selector), finite (selector scores). */
export function scoresMustBeFinite(meta: DatasetMeta): boolean {
  return meta.kind === DatasetKind.Scores || meta.policy === Policy.Ticket || meta.policy === Policy.Saliency;
}

function checkLabels(b: IdLabel & { numRows: number }, meta: DatasetMeta, file: string): void {
  if (meta.numClasses === null) return;
  for (let i = 0; i < b.numRows; i++) {
    const label = labelAt(b, i);
    if (label !== null && (label < 0 || label >= meta.numClasses)) {
      throw new ShardError(`row ${JSON.stringify(b.ids[i])}: label ${label} outside [0, ${meta.numClasses})`, { file });
    }
  }
}

function checkScores(scores: Float32Array, finite: boolean, file: string): void {
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (finite ? !Number.isFinite(v) : !Number.isNaN(v)) {
      throw new ShardError(`scores[${i}] of a batch is ${v}; this dataset's policy requires ${finite ? 'finite scores' : 'NaN (no scores)'}`, { file });
    }
  }
}

export async function verifyDataset(location: string | DatasetStore, options: { fs?: Fs; onShard?: (file: string) => void } = {}): Promise<VerifyResult> {
  const ds: Dataset = await openDataset(location, { fs: options.fs });
  const { meta, manifest } = ds;
  const finite = scoresMustBeFinite(meta);
  const buffers = new ReadBuffers();
  for (const entry of manifest.shards) {
    const file = ds.store.describe(entry.file);
    const groups = meta.views ? new ViewGroups(meta.views.count, file) : null;
    if (meta.kind === DatasetKind.Tickets) {
      for await (const b of shardBatches(ds, entry, decodeTicketBatch, buffers, true)) {
        checkLabels(b, meta, file);
        checkScores(b.scores, finite, file);
        if (groups && b.views) groups.check(b.ids, b.views);
      }
    } else {
      for await (const b of shardBatches(ds, entry, decodeScoreBatch, buffers, true)) {
        checkLabels(b, meta, file);
        checkScores(b.scores, finite, file);
        if (groups && b.views) groups.check(b.ids, b.views.view);
      }
    }
    options.onShard?.(entry.file);
  }
  const bytes = manifest.shards.reduce((n, s) => n + s.bytes, 0);
  return { dir: ds.store.location, kind: manifest.kind, rows: manifest.rows, shards: manifest.shards.length, bytes, fingerprint: manifest.fingerprint };
}
