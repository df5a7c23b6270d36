/**
 * Output locks: a process that writes a dataset (or a pipeline run directory) holds
 * `<parent>/.<name>.lock`, holding its pid, host and start time. The lock appears whole or not at
 * all: its content is written to a new `<lock>.tmp-<host>-<pid>` first (openTemp: exclusive,
 * never through a planted link), then hard-linked into place (exclusive: EEXIST if held), so a process killed while taking it never leaves an empty lock that
 * would block every rerun (the seeded crash test caught one). A second
 * process is refused (after a 3-second grace for a holder on this host that is exiting) with a
 * LockedError naming the holder. A lock whose holder is dead (same host, pid gone) is taken over; a
 * lock from another host is never guessed stale. A lock path that is not a regular file (a link,
 * a FIFO) is refused, never read through.
 */
import { readFileSync, rmSync } from 'node:fs';
import { link, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { errnoCode, ioError, IoError } from '../util/errors.js';
import { checkReplaceable, CREATE_NEW, mkdirp, openTemp, pidAlive } from '../util/fsx.js';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

/** Another live process holds the lock on an output. */
export class LockedError extends IoError {
  readonly holder: LockHolder | null;
  constructor(target: string, lockFile: string, holder: LockHolder | null) {
    const who = holder ? `pid ${holder.pid} on ${holder.host} (since ${holder.started})` : 'another process (unreadable lock file)';
    super(`${target} is being written by ${who}; wait for it, or remove ${lockFile} if that process is gone`, { file: target });
    this.name = 'LockedError';
    this.holder = holder;
  }
}

export interface Lock {
  readonly file: string;
  release(): Promise<void>;
}

/** The lock file of an output path: a hidden sibling, so it survives replacing the directory. */
export function lockFileOf(target: string): string {
  return join(dirname(target), `.${basename(target)}.lock`);
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    return typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.started === 'string' ? (v as LockHolder) : null;
  } catch {
    return null;
  }
}

function isDead(holder: LockHolder | null): boolean {
  return holder !== null && holder.host === hostname() && holder.pid !== process.pid && !pidAlive(holder.pid);
}

/** The temporary file a lock's content is written to before it is linked into place. */
function tempOf(file: string, pid = process.pid): string {
  return `${file}.tmp-${hostname()}-${pid}`;
}

/** Writes `body` to a new file (CREATE_NEW: exclusive, never through a link); EEXIST is thrown as it is. */
async function writeNew(file: string, body: string, create: (file: string) => ReturnType<typeof open>): Promise<void> {
  const fh = await create(file);
  try {
    await fh.writeFile(body);
  } finally {
    await fh.close();
  }
}

/** Exclusive create with open(CREATE_NEW) + write: only where hard links are not supported. */
async function createByOpen(file: string, body: string): Promise<boolean> {
  try {
    await writeNew(file, body, (f) => open(f, CREATE_NEW));
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw ioError(err, file, 'create lock');
  }
}

/** Creates the lock with its whole content, or returns false if it exists. */
async function tryCreate(file: string, body: string): Promise<boolean> {
  const temp = tempOf(file);
  try {
    await writeNew(temp, body, (f) => openTemp(f));
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw ioError(err, temp, 'create lock');
  }
  try {
    await link(temp, file);
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createByOpen(file, body);
    throw ioError(err, file, 'create lock');
  } finally {
    await rm(temp, { force: true });
  }
}

/** Removes lock temp files of this host whose process is gone (killed between write and link). */
async function removeDeadTemps(file: string): Promise<void> {
  const prefix = `${basename(file)}.tmp-${hostname()}-`;
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : Number.NaN;
    if (Number.isSafeInteger(pid) && pid !== process.pid && !pidAlive(pid)) await rm(join(dirname(file), name), { force: true });
  }
}

/** Moves a dead holder's lock aside; puts it back if it turned out to be a fresh one. */
async function takeOver(file: string, seen: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return; // someone else took it over first
    throw ioError(err, file, 'take over lock');
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== seen) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
}

/** How long a live holder on this host is given to exit before a second process is refused. */
const EXIT_GRACE_MS = 3000;

/** Whether process `pid` exits within `ms`. */
async function exits(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pid === process.pid) return false;
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !pidAlive(pid);
}

/** Takes the lock of `target` or throws LockedError. */
export async function acquireLock(target: string): Promise<Lock> {
  const file = lockFileOf(target);
  await mkdirp(dirname(file));
  const body = `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() })}\n`;
  await removeDeadTemps(file);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(file, body)) return heldLock(file, body);
    await checkReplaceable(file); // a FIFO there would block the read below, a link would be followed
    const seen = await readFile(file, 'utf8').catch(() => null);
    if (seen === null) continue; // released meanwhile
    const holder = parseHolder(seen);
    // A holder on this host may be a process whose parent was just killed and that is exiting
    // (the CLI's filtered child dies with its parent): give it a moment before refusing.
    if (!isDead(holder) && !(holder && holder.host === hostname() && (await exits(holder.pid, EXIT_GRACE_MS)))) throw new LockedError(target, file, holder);
    await takeOver(file, seen);
  }
  throw new LockedError(target, file, parseHolder(await readFile(file, 'utf8').catch(() => '')));
}

function heldLock(file: string, body: string): Lock {
  // A crash between here and release leaves a lock of a dead pid: the next process takes it over.
  const onExit = (): void => {
    try {
      if (readFileSync(file, 'utf8') === body) rmSync(file, { force: true });
    } catch {
      /* already gone */
    }
  };
  process.once('exit', onExit);
  return {
    file,
    async release() {
      process.removeListener('exit', onExit);
      const current = await readFile(file, 'utf8').catch(() => null);
      if (current === body) await rm(file, { force: true });
    },
  };
}
