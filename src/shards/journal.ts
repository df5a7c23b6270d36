/**
 * The resume journal: `.dlth-journal.json` in the output directory records every committed shard
 * (with its hash) of an unfinished run, keyed by the run's identity. A rerun re-hashes each listed
 * shard and reuses it only if the bytes still match; the journal is removed once the manifest is
 * written. Scratch state only: never part of a dataset.
 */
import { join } from 'node:path';
import { canonicalJson } from '../util/hash.js';
import { nodeFs, writeFileAtomic, type Fs } from '../util/fsx.js';
import { isObject } from './check.js';
import type { ManifestShard } from './types.js';

export const JOURNAL_FILE = '.dlth-journal.json';

export interface JournalEntry {
  shard: ManifestShard;
  /** Producer data kept with the shard (e.g. materialize's failures in its slot range). */
  extra?: unknown;
}

export interface Journal {
  key: string;
  shards: Record<string, JournalEntry>;
}

export async function readJournal(dir: string, key: string, fs: Fs = nodeFs): Promise<Journal> {
  const empty: Journal = { key, shards: {} };
  try {
    const json: unknown = JSON.parse(await fs.readFile(join(dir, JOURNAL_FILE), 'utf8'));
    if (!isObject(json) || json.key !== key || !isObject(json.shards)) return empty;
    return { key, shards: json.shards as Record<string, JournalEntry> };
  } catch {
    return empty;
  }
}

export async function writeJournal(dir: string, journal: Journal, fs: Fs = nodeFs): Promise<void> {
  await writeFileAtomic(join(dir, JOURNAL_FILE), canonicalJson(journal), fs);
}

export async function removeJournal(dir: string, fs: Fs = nodeFs): Promise<void> {
  await fs.rm(join(dir, JOURNAL_FILE), { force: true });
}
