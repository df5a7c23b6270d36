/** Helpers of the planted-file tests: a FIFO, a file outside the output to watch, the refusal's shape. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoError } from '../../src/util/errors.js';

export const PRECIOUS = 'precious\n';

/** A file outside any output directory that a planted link points to; it must stay `PRECIOUS`. */
export function victimFile(): string {
  const victim = join(mkdtempSync(join(tmpdir(), 'dlth-victim-')), 'precious.txt');
  writeFileSync(victim, PRECIOUS);
  return victim;
}

export function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, `mkfifo ${path}: ${String(r.stderr)}`);
}

/** The refusal of a target that is not a regular file: a one-line IoError naming it and saying what is there. */
export function isRefusal(file: string, kind: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof IoError && err.file === file && kind.test(err.message) && !err.message.includes('\n');
}
