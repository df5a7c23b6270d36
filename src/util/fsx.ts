import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { constants as fsConstants, type Stats } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { DlthError, errnoCode, FileRefusedError, IoError, ioError } from './errors.js';
import { throwIfStopped } from './abort.js';

/**
 * The file-system calls the writers use. Injectable so tests can simulate ENOSPC, EACCES and EIO
 * (see test/reliability); production code passes `nodeFs`.
 */
export type Fs = Pick<
  typeof fsp,
  'open' | 'rename' | 'unlink' | 'mkdir' | 'readFile' | 'writeFile' | 'stat' | 'readdir' | 'rm' | 'lstat' | 'realpath'
>;

export const nodeFs: Fs = fsp;

/** Name of the temporary file a write goes to before it is renamed into place. */
export function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

/**
 * Open flags of a file that must be new: write-only, created by this call (O_CREAT|O_EXCL) and
 * never through a symbolic link (O_NOFOLLOW), so a link or a special file planted at the name is
 * neither followed nor written into.
 */
export const CREATE_NEW = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);

/** An error as it leaves a write: typed errors as they are, system errors as an IoError naming `file`. */
export function writeError(err: unknown, file: string, action: string): DlthError {
  return err instanceof DlthError ? err : ioError(err, file, action);
}

/**
 * Opens the temporary file `tmp` new and empty (CREATE_NEW). Whatever already has that name (the
 * temp of a killed run whose pid this process reuses, or a link planted there) is unlinked, never
 * followed, and the exclusive create is tried once more; system errors are thrown as they are.
 */
export async function openTemp(tmp: string, fs: Pick<Fs, 'open' | 'unlink'> = nodeFs): Promise<FileHandle> {
  try {
    return await fs.open(tmp, CREATE_NEW);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST' && errnoCode(err) !== 'ELOOP') throw err;
  }
  await fs.unlink(tmp).catch(() => undefined);
  return fs.open(tmp, CREATE_NEW);
}

/**
 * Refuses (IoError naming `path`) to replace anything at `path` but a regular file: a symbolic
 * link, FIFO, device, socket or directory there stays as it is. Nothing there is fine.
 */
export async function checkReplaceable(path: string, fs: Pick<Fs, 'lstat'> = nodeFs): Promise<void> {
  let st: Stats;
  try {
    st = await fs.lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError(err, path, 'lstat');
  }
  if (!st.isFile()) throw new IoError(`refusing to replace ${fileKind(st)} with a regular file`, { file: path });
}

/**
 * Renames the complete temporary file `tmp` over `path`, which checkReplaceable must accept first.
 * On any failure the temp is removed and the error (an IoError naming `path`) thrown.
 */
export async function renameTemp(tmp: string, path: string, fs: Pick<Fs, 'lstat' | 'rename' | 'rm'> = nodeFs): Promise<void> {
  try {
    await checkReplaceable(path, fs);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(err, path, 'rename into place');
  }
}

/**
 * Writes `data` to `path` atomically: a new temp file (openTemp), fsync, rename (renameTemp: only
 * over a regular file or nothing), fsync of the directory. A crash at any point leaves either the
 * old file (or none) or the complete new one, never a partial one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, fs: Fs = nodeFs): Promise<void> {
  const tmp = tempName(path);
  try {
    const fh = await openTemp(tmp, fs);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameTemp(tmp, path, fs);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(err, path, 'write');
  }
  await syncDir(dirname(path), fs);
}

/** fsync a directory so a rename in it is durable. Best effort where the platform refuses. */
export async function syncDir(dir: string, fs: Fs = nodeFs): Promise<void> {
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems do not allow fsync on directories; the rename is still atomic.
  }
}

export async function exists(path: string, fs: Fs = nodeFs): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process with this pid is running on this host (EPERM: it exists, not ours). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes stale temporary files (`.<name>.tmp-<pid>`) left in `dir` by a killed run. A temp file
 * whose pid is alive on this host may be another process's write in progress and is left alone.
 * Directories shared by processes on several hosts (job-array workers) must not be swept.
 */
export async function removeStaleTemps(dir: string, fs: Fs = nodeFs): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (name.startsWith('.') && m && !pidAlive(Number(m[1]))) {
      await fs.rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** What a path is, in words, for messages ("a FIFO", "a character device", …). */
export function fileKind(s: Pick<Stats, 'isFile' | 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket' | 'isSymbolicLink'>): string {
  if (s.isFile()) return 'a regular file';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return s.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
}

export interface BoundedReadOptions {
  /** Largest accepted size in bytes; a larger file is refused before any byte is read. */
  maxBytes: number;
  /** Checked between chunks: an aborted signal stops the read with InterruptedError. */
  signal?: AbortSignal;
  /** Name of the limit in the message ("maxFileBytes"). */
  limitName?: string;
}

/** Bytes read per call: a read of a huge file is many short, interruptible calls. */
const READ_CHUNK = 4 * 1024 * 1024;
/** O_NONBLOCK: opening a FIFO never waits for a writer (and its fstat then refuses it). */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

function refuse(file: string, message: string, cause?: unknown): FileRefusedError {
  return new FileRefusedError(message, { file, cause });
}

async function checkedSize(fh: FileHandle, file: string, options: BoundedReadOptions): Promise<number> {
  const st = await fh.stat();
  if (!st.isFile()) throw refuse(file, `not a regular file: ${fileKind(st)}`);
  if (st.size > options.maxBytes) {
    throw refuse(file, `${st.size} bytes, over the ${options.maxBytes}-byte limit per file${options.limitName ? ` (${options.limitName})` : ''}`);
  }
  return st.size;
}

async function readChunks(fh: FileHandle, file: string, size: number, options: BoundedReadOptions): Promise<Buffer> {
  // One byte more than announced: a file that grows while it is read is refused, not read without bound.
  const buf = Buffer.allocUnsafe(size + 1);
  let at = 0;
  for (;;) {
    if (options.signal) throwIfStopped(options.signal);
    const { bytesRead } = await fh.read(buf, at, Math.min(READ_CHUNK, buf.length - at), null);
    if (bytesRead === 0) return buf.subarray(0, at);
    at += bytesRead;
    if (at > size) throw refuse(file, `grew while being read (more than the ${size} bytes it had)`);
  }
}

/**
 * Reads a whole file that must be a regular file of at most `maxBytes`. Looks before it reads:
 * stat first (a FIFO, device, socket or directory is refused without opening it), then open with
 * O_NONBLOCK and fstat of the opened descriptor (the path may have changed in between), then reads
 * in chunks, checking `signal` between them. Memory is bounded by `maxBytes`. Refusals are
 * FileRefusedError (an InputError) naming the file; system failures are IoError.
 */
export async function readRegularFile(file: string, options: BoundedReadOptions): Promise<Buffer> {
  let fh: FileHandle | undefined;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) throw refuse(file, `not a regular file: ${fileKind(st)}`);
    fh = await fsp.open(file, OPEN_FLAGS);
    return await readChunks(fh, file, await checkedSize(fh, file, options), options);
  } catch (err) {
    if (err instanceof DlthError) throw err;
    throw ioError(err, file, 'read');
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * `mkdir -p` that always ends. Node's own `mkdir(…, { recursive: true })` loops forever where
 * mkdir answers ENOENT for a path whose parent exists (under /proc, /sys): here a path whose
 * parent was just made (or exists) and still fails is an IoError naming it.
 */
export async function mkdirp(dir: string, fs: Pick<Fs, 'mkdir' | 'stat'> = nodeFs, depth = 0): Promise<void> {
  try {
    await fs.mkdir(dir);
    return;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') {
      const st = await fs.stat(dir).catch(() => null);
      if (st?.isDirectory()) return;
      throw ioError(err, dir, 'create directory (a file of that name exists)');
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir || depth > 255) throw ioError(err, dir, 'create directory');
  }
  await mkdirp(dirname(dir), fs, depth + 1);
  try {
    await fs.mkdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST' && (await fs.stat(dir).catch(() => null))?.isDirectory()) return;
    throw ioError(err, dir, 'create directory');
  }
}
