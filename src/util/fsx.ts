import * as fsp from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { ioError } from './errors.js';

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
 * Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the directory. A crash at
 * any point leaves either the old file (or none) or the complete new one, never a partial one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, fs: Fs = nodeFs): Promise<void> {
  const tmp = tempName(path);
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(err, path, 'write');
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
