/**
 * Placing one merged shard: a hard link to the worker piece that holds all of it (a copy, re-hashed,
 * where links are refused), or its pieces' rows re-encoded in order by the shard writer, which
 * gives the bytes a single run writes. Each file goes to a new temporary name and is renamed into
 * place, only over a regular file or nothing.
 */
import { constants } from 'node:fs';
import { copyFile, link, lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile } from '../shards/hashfile.js';
import { removeJournal } from '../shards/journal.js';
import type { Dataset } from '../shards/reader.js';
import { scoreRows, ticketRows } from '../shards/rows.js';
import { DatasetKind, type DatasetMeta, type ManifestShard } from '../shards/types.js';
import { createScoreWriter, createTicketWriter, type ShardWriter } from '../shards/writer.js';
import type { BatchEncoder } from '../shards/encode/encoder.js';
import { errnoCode, InputError, ioError } from '../util/errors.js';
import { renameTemp, tempName, type Fs } from '../util/fsx.js';

/** One worker piece of a shard: its dataset and its index in that dataset's manifest. */
export interface PieceSource {
  dataset: Dataset;
  at: number;
}

/** Writes shard `j` of `dir` from its pieces' rows, in order, with the workers' byte targets. */
export async function reencodeShard(dir: string, j: number, pieces: readonly PieceSource[], meta: DatasetMeta, sizes: { shardBytes: number; batchBytes: number }, fs: Fs): Promise<ManifestShard> {
  const options = { dir, meta, fs, resume: false, ...sizes };
  const entry = meta.kind === DatasetKind.Tickets
    ? await writeShard(await createTicketWriter(options), j, pieces, (p) => ticketRows(p.dataset, { shards: [p.at], view: true }))
    : await writeShard(await createScoreWriter(options), j, pieces, (p) => scoreRows(p.dataset, { shards: [p.at], view: true }));
  await removeJournal(dir, fs);
  return entry;
}

async function writeShard<Row, E extends BatchEncoder<Row>>(w: ShardWriter<Row, E>, j: number, pieces: readonly PieceSource[], rows: (p: PieceSource) => AsyncIterable<Row>): Promise<ManifestShard> {
  await w.beginShard(j);
  for (const p of pieces) for await (const row of rows(p)) await w.write(row);
  return w.endShard();
}

/** Errors on which a hard link is impossible but a copy works (cross-device, no link support). */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/**
 * Links (or copies and re-hashes) `src` to a new temporary name, then renames it over `dest`
 * (renameTemp: only over a regular file or nothing). link(2) and an exclusive copy (COPYFILE_EXCL:
 * O_CREAT|O_EXCL) create the temp themselves and never write through a link planted at its name.
 */
export async function linkShard(src: string, dest: string, expected: ManifestShard): Promise<void> {
  const d = await lstat(dest).catch(() => null);
  const s = await stat(src);
  if (d?.isFile() && d.ino === s.ino && d.dev === s.dev) return;
  const tmp = tempName(dest);
  await rm(tmp, { force: true }).catch((e: unknown) => Promise.reject(ioError(e, dest, `remove ${tmp}`)));
  try {
    await link(src, tmp);
  } catch (err) {
    if (!NO_LINK.has(errnoCode(err) ?? '')) throw ioError(err, dest, `link ${src}`);
    await copyFile(src, tmp, constants.COPYFILE_EXCL).catch((e: unknown) => Promise.reject(ioError(e, dest, `copy ${src}`)));
    if ((await hashFile(tmp)).sha256 !== expected.sha256) {
      await rm(tmp, { force: true });
      throw new InputError(`the copy of ${src} does not match its sha256 (changed while merging?)`, { file: dest });
    }
  }
  await renameTemp(tmp, dest);
}

/** Removes `shard-*.arrow` files of an earlier layout that the new manifest does not list. */
export async function removeStrayShards(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dir)) {
    if (/^shard-\d+\.arrow$/.test(name) && !keep.has(name)) await rm(join(dir, name), { force: true });
  }
}
