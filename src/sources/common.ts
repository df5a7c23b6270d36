/**
 * Helpers shared by the sources: id ordering, the listing fingerprint, per-sample file reads with
 * typed errors, and a bounded parallel stat.
 */
import { stat } from 'node:fs/promises';
import { hint, Setting } from './hints.js';
import { DlthError, ErrorCode, errnoCode, FileRefusedError, ImageError, InputError, IoError, show } from '../util/errors.js';
import { stopSignal } from '../util/abort.js';
import { readRegularFile } from '../util/fsx.js';
import { newSha256 } from '../util/hash.js';

/** Extensions (lower case, with dot) an imagefolder includes by default: what decode.ts reads. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'];

/** Code-unit order: locale-independent, so every machine sorts ids the same way. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ListingEntry {
  id: string;
  label: number | null;
  /** Bytes of the sample's file (or pixels), -1 when it cannot be stat'ed. */
  size: number;
}

/**
 * The source fingerprint: sha256 over kind, class names and, per sample in id order, id, label and
 * size. It deliberately does not hash file contents (a listing of millions of files is cheap to
 * fingerprint, their bytes are not): an edit that keeps a file's size is not detected. Sources
 * that hold their pixels in memory (idx) add them through `extra`.
 */
export function listingFingerprint(
  kind: string,
  classes: readonly string[] | null,
  entries: Iterable<ListingEntry>,
  extra?: Uint8Array,
): string {
  const h = newSha256();
  h.update(`dlth-source-v1\0${kind}\0${JSON.stringify(classes)}\0`);
  for (const e of entries) h.update(`${e.id}\0${e.label ?? ''}\0${e.size}\n`);
  if (extra) h.update(extra);
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

/** Largest sample file read by default (maxFileBytes): far above any photo, a bound on memory. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Errors that concern one sample's file (skip and record it) rather than the machine. */
const PER_FILE_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'ENOTDIR', 'ENXIO']);

const WHY: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'symlink loop',
};

/**
 * Reads one sample's file, looking first (readRegularFile): a FIFO, device, socket or directory,
 * or a file over `maxBytes`, is refused without reading it. ImageError for per-file problems (the
 * stage records the sample in errors.jsonl), IoError for system failures.
 */
export async function readSampleFile(file: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array> {
  try {
    return await readRegularFile(file, { maxBytes, limitName: hint(Setting.MaxFileBytes) });
  } catch (err) {
    if (err instanceof FileRefusedError) throw new ImageError(err.reason, { file, cause: err });
    const code = err instanceof IoError ? err.syscallCode : errnoCode(err);
    if (code && PER_FILE_CODES.has(code)) {
      throw new ImageError(`cannot read: ${WHY[code] ?? 'unreadable'} (${code})`, { file, cause: err });
    }
    throw err;
  }
}

/**
 * Reads a source's own input file (a jsonl listing, an IDX file): a regular file of at most
 * `maxBytes`, interruptible. A refusal stays as it is; a failed read is an InputError
 * "cannot read <what> (<errno>)" naming the file.
 */
export async function readInputFile(file: string, maxBytes: number, what: string): Promise<Buffer> {
  try {
    return await readRegularFile(file, { maxBytes, signal: stopSignal });
  } catch (err) {
    if (err instanceof DlthError && err.code !== ErrorCode.Io) throw err;
    const code = err instanceof IoError ? err.syscallCode : undefined;
    throw new InputError(`cannot read ${what}${code ? ` (${code})` : ''}`, { file, cause: err });
  }
}

/** Validates a source's maxFileBytes (a positive integer) and fills the default. */
export function resolveMaxFileBytes(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_MAX_FILE_BYTES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InputError(`${hint(Setting.MaxFileBytes)} is ${show(value)}, expected a positive integer (bytes)`, { file: where });
  }
  return value;
}

/**
 * Sizes of many files (stat follows symlinks; -1 where it fails), 32 at a time by 32 workers
 * pulling from a shared cursor, so millions of files need no million pending promises.
 */
export async function fileSizes(files: readonly string[]): Promise<Float64Array> {
  const sizes = new Float64Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      sizes[i] = await stat(files[i]).then((s) => s.size, () => -1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, files.length) }, worker));
  return sizes;
}

export function checkIndex(index: number, size: number, kind: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new InputError(`${kind} source: sample index ${index} outside 0..${size - 1}`);
  }
}
