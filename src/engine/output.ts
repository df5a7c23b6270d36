/**
 * What a sharded stage does with its output directory before writing:
 * - no manifest: write in place (complete shards of an interrupted run are reused by the writer);
 * - a finished dataset of the same configuration whose shards verify: reuse it, compute nothing;
 * - a finished dataset of another configuration: refuse (OutputExistsError) unless `force`, which
 *   builds the new dataset beside it and swaps it in when complete, so the directory always holds
 *   either the old dataset or the new one, never a mix.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hashFile } from '../shards/hashfile.js';
import { MANIFEST_FILE, parseManifest } from '../shards/manifest.js';
import type { DatasetMeta, Manifest } from '../shards/types.js';
import { errnoCode, InputError, ioError } from '../util/errors.js';
import { canonicalJson } from '../util/hash.js';
import { pidAlive, type Fs } from '../util/fsx.js';
import { readPart, type PartInfo } from './part.js';

/** The output holds a finished dataset of another configuration and `force` was not given. */
export class OutputExistsError extends InputError {
  constructor(dir: string, detail: string) {
    super(`holds a finished dataset of another configuration (${detail}); pass --force to replace it`, { file: dir });
    this.name = 'OutputExistsError';
  }
}

export type OutputPlan =
  | { kind: 'reuse'; manifest: Manifest }
  | { kind: 'write'; dir: string; commit(): Promise<void>; discard(): Promise<void> };

/** The configuration a finished dataset must match to be reused. */
export interface OutputIdentity {
  meta: DatasetMeta;
  rowsPerShard?: number;
  /** A worker part: where its rows sit must match too (part.json), not only its metadata. */
  part?: PartInfo;
}

async function readManifest(dir: string, fs: Fs): Promise<Manifest | null> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(join(dir, MANIFEST_FILE));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    throw ioError(err, join(dir, MANIFEST_FILE), 'read');
  }
  return parseManifest(bytes, join(dir, MANIFEST_FILE));
}

/**
 * True when every shard of `manifest` in `dir` has its listed size and, when the dataset is at most
 * `hashUpTo` bytes (default: always), its listed sha256.
 */
export async function shardsIntact(dir: string, manifest: Manifest, fs: Fs, hashUpTo = Number.POSITIVE_INFINITY): Promise<boolean> {
  const total = manifest.shards.reduce((b, s) => b + s.bytes, 0);
  for (const s of manifest.shards) {
    if (total > hashUpTo) {
      const st = await fs.stat(join(dir, s.file)).catch(() => null);
      if (st?.size !== s.bytes) return false;
      continue;
    }
    const d = await hashFile(join(dir, s.file), fs).catch(() => null);
    if (!d || d.bytes !== s.bytes || d.sha256 !== s.sha256) return false;
  }
  return true;
}

function describe(m: Manifest): string {
  const what = m.meta.policy === null ? m.kind : `policy ${m.meta.policy}, k ${m.meta.k}`;
  return `${what}, ${m.rows} rows`;
}

async function sameConfig(dir: string, m: Manifest, id: OutputIdentity, fs: Fs): Promise<boolean> {
  if (canonicalJson(m.meta) !== canonicalJson(id.meta) || m.rowsPerShard !== id.rowsPerShard) return false;
  if (!id.part) return true;
  const part = await readPart(dir, fs).catch(() => null);
  return part !== null && canonicalJson(part) === canonicalJson(id.part);
}

/** Decides how to write `dir` (see the module comment). */
export async function planOutput(dir: string, id: OutputIdentity, force: boolean, fs: Fs): Promise<OutputPlan> {
  await recoverSwap(dir);
  const existing = await readManifest(dir, fs).catch((err: unknown) => (force ? null : Promise.reject(err)));
  if (existing === null) return inPlace(dir);
  const same = await sameConfig(dir, existing, id, fs);
  if (same && (await shardsIntact(dir, existing, fs))) return { kind: 'reuse', manifest: existing };
  if (!same && !force) throw new OutputExistsError(dir, describe(existing));
  return beside(dir);
}

function inPlace(dir: string): OutputPlan {
  return { kind: 'write', dir, commit: async () => undefined, discard: async () => undefined };
}

const swapName = (dir: string, tag: 'new' | 'old', pid = process.pid): string => join(dirname(dir), `.${basename(dir)}.${tag}-${pid}`);

/** Builds in `.<name>.new-<pid>` beside `dir`; commit swaps it in (old → `.old-<pid>`, new → dir, old removed). */
function beside(dir: string): OutputPlan {
  const fresh = swapName(dir, 'new');
  const old = swapName(dir, 'old');
  return {
    kind: 'write',
    dir: fresh,
    async commit() {
      await rename(dir, old).catch((err: unknown) => (errnoCode(err) === 'ENOENT' ? undefined : Promise.reject(ioError(err, dir, 'move aside'))));
      await rename(fresh, dir).catch((err: unknown) => Promise.reject(ioError(err, dir, 'swap in')));
      await rm(old, { recursive: true, force: true });
    },
    async discard() {
      await rm(fresh, { recursive: true, force: true });
    },
  };
}

/**
 * Finishes or undoes a swap that a killed process left: a dead process's `.old-<pid>` is put back
 * when `dir` is missing (the swap stopped between its two renames) and removed otherwise; its
 * `.new-<pid>` is removed (the replacement was never completed).
 */
async function recoverSwap(dir: string): Promise<void> {
  const names = await readdir(dirname(dir)).catch(() => [] as string[]);
  const prefix = `.${basename(dir)}.`;
  for (const name of names) {
    const m = /^(new|old)-(\d+)$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '');
    if (!m || pidAlive(Number(m[2]))) continue;
    const path = join(dirname(dir), name);
    const dirExists = await readdir(dir).then(() => true, () => false);
    if (m[1] === 'old' && !dirExists) await rename(path, dir);
    else await rm(path, { recursive: true, force: true });
  }
}
