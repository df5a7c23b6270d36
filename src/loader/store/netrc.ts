/**
 * A small, strict netrc reader. Tokens are separated by white space; a line whose first non-blank
 * character is `#` is a comment; a token may be double-quoted (`"a b"`, with `\"` and `\\`).
 * Entries: `machine <host>` or `default` (one at most, after every machine), each followed by
 * `login <user>` and `password <password>` (both required, once each) and optionally
 * `account <x>` (ignored). Anything else (`macdef`, an unknown word, a keyword without its value, a
 * machine named twice) refuses the whole file, naming the file and line but never a value. The file
 * must be a regular file of at most 1 MiB; one whose credentials would be used must be owned by
 * this user and not readable or writable by group or others (as ftp and Python's netrc require).
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { errnoCode, InputError, ioError } from '../../util/errors.js';

export interface NetrcEntry {
  /** Host name, or null for the `default` entry. */
  machine: string | null;
  login: string;
  password: string;
}

export interface NetrcFile {
  file: string;
  entries: NetrcEntry[];
  /** Not private to this user: owned by another user, or group or others may read or write it (POSIX; false elsewhere). */
  exposed: boolean;
}

export const MAX_NETRC_BYTES = 1 << 20;

interface Token {
  text: string;
  line: number;
}

const bad = (file: string, line: number, why: string): InputError => new InputError(`netrc line ${line}: ${why}`, { file });

/** Splits netrc text into tokens with their line numbers. */
export function netrcTokens(text: string, file: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((content, i) => {
    if (/^\s*#/.test(content)) return;
    const re = /"((?:[^"\\]|\\.)*)"|"|[^\s"]+/g;
    for (let m = re.exec(content); m; m = re.exec(content)) {
      if (m[0] === '"') throw bad(file, i + 1, 'unterminated quoted token');
      out.push({ text: m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[0], line: i + 1 });
    }
  });
  return out;
}

type Field = 'login' | 'password' | 'account';
const FIELDS: readonly string[] = ['login', 'password', 'account'] satisfies Field[];

/** Parses netrc text into entries (see the module comment for the grammar). */
export function parseNetrc(text: string, file: string): NetrcEntry[] {
  const tokens = netrcTokens(text, file);
  const entries: NetrcEntry[] = [];
  let current: { machine: string | null; line: number; values: Partial<Record<Field, string>> } | null = null;
  const close = (): void => {
    if (!current) return;
    const { login, password } = current.values;
    const what = current.machine === null ? 'default' : `machine ${JSON.stringify(current.machine)}`;
    if (login === undefined || password === undefined) throw bad(file, current.line, `${what} needs both login and password`);
    entries.push({ machine: current.machine, login, password });
  };
  for (let i = 0; i < tokens.length; i++) {
    const { text: word, line } = tokens[i];
    if (word === 'machine' || word === 'default') {
      close();
      if (entries.some((e) => e.machine === null)) throw bad(file, line, 'the default entry must be the last one');
      let machine: string | null = null;
      if (word === 'machine') {
        machine = tokens[++i]?.text ?? null;
        if (machine === null || machine === '') throw bad(file, line, 'machine without a host name');
        const name = machine.toLowerCase();
        if (entries.some((e) => e.machine?.toLowerCase() === name)) throw bad(file, line, `machine ${JSON.stringify(machine)} is named twice`);
      }
      current = { machine, line, values: {} };
    } else if (FIELDS.includes(word)) {
      const field = word as Field;
      if (!current) throw bad(file, line, `${field} before any machine or default`);
      if (current.values[field] !== undefined) throw bad(file, line, `${field} given twice in one entry`);
      const value = tokens[++i];
      if (value === undefined) throw bad(file, line, `${field} without a value`);
      current.values[field] = value.text;
    } else {
      throw bad(file, line, word === 'macdef' ? 'macdef is not supported' : 'unknown token (expected machine, default, login, password or account)');
    }
  }
  close();
  return entries;
}

function statNetrc(file: string, required: boolean): Stats | null {
  try {
    return statSync(file);
  } catch (err) {
    if (!required && errnoCode(err) === 'ENOENT') return null;
    if (errnoCode(err) === 'ENOENT') throw new InputError('NETRC names a file that does not exist', { file });
    throw ioError(err, file, 'reading the netrc file');
  }
}

/** The netrc file's entries; a missing file that is not `required` has none. */
export function readNetrcFile(file: string, required: boolean): NetrcFile {
  const st = statNetrc(file, required);
  if (!st) return { file, entries: [], exposed: false };
  if (!st.isFile()) throw new InputError('the netrc file is not a regular file', { file });
  if (st.size > MAX_NETRC_BYTES) throw new InputError(`the netrc file is larger than ${MAX_NETRC_BYTES} bytes`, { file });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ioError(err, file, 'reading the netrc file');
  }
  const exposed = process.platform !== 'win32' && ((st.mode & 0o077) !== 0 || (process.getuid !== undefined && st.uid !== process.getuid()));
  return { file, entries: parseNetrc(text, file), exposed };
}
