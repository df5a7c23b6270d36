/**
 * Output locks: a process that writes a dataset (or a pipeline run directory) holds
 * `<parent>/.<name>.lock`, created with O_EXCL, holding its pid, host and start time. A second
 * process is refused (after a 3-second grace for a holder on this host that is exiting) with a
 * LockedError naming the holder. A lock whose holder is dead (same host, pid gone) is taken over; a
 * lock from another host is never guessed stale.
 */
import { readFileSync, rmSync } from 'node:fs';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { errnoCode, ioError, IoError } from '../util/errors.js';
import { mkdirp, pidAlive } from '../util/fsx.js';

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

async function tryCreate(file: string, body: string): Promise<boolean> {
  try {
    const fh = await open(file, 'wx');
    try {
      await fh.writeFile(body);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw ioError(err, file, 'create lock');
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
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(file, body)) return heldLock(file, body);
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
