/**
 * Lists of input files as labs write them (webdataset shards, Parquet files): each entry is a
 * path, a directory (its files with the given extension, sorted, not recursive), a glob in the
 * last path segment (`data/train-*.parquet`, `*` and `?` only), or an http(s) URL; braces expand
 * first, in paths and URLs alike: `{000000..000009}` (a numeric range, zero-padded to the width
 * of its bounds) and `{a,b}`. The result keeps the order given, each pattern's matches sorted.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { errnoCode, InputError, show } from '../util/errors.js';
import { compareIds } from './common.js';

/** Most names one list may expand to. */
export const MAX_EXPANDED = 1_000_000;

export function isUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/** Expands `{a..b}` ranges and `{x,y}` lists (left to right, nested by repetition). */
export function expandBraces(pattern: string): string[] {
  let out = [pattern];
  for (let round = 0; round < 16; round++) {
    const next: string[] = [];
    let changed = false;
    for (const p of out) {
      const m = /\{([^{}]*)\}/.exec(p);
      if (!m) {
        next.push(p);
        continue;
      }
      changed = true;
      const [before, after] = [p.slice(0, m.index), p.slice(m.index + m[0].length)];
      const range = /^(\d+)\.\.(\d+)$/.exec(m[1]);
      let items: string[];
      if (range) {
        const [a, b] = [Number(range[1]), Number(range[2])];
        if (b < a) throw new InputError(`brace range {${m[1]}} runs backwards`);
        if (b - a + 1 > MAX_EXPANDED) throw new InputError(`brace range {${m[1]}} names more than ${MAX_EXPANDED} files`);
        const width = range[1].length === range[2].length ? range[1].length : 0;
        items = Array.from({ length: b - a + 1 }, (_, i) => String(a + i).padStart(width, '0'));
      } else if (m[1].includes(',')) items = m[1].split(',');
      else throw new InputError(`cannot expand ${show(m[0])} in ${show(pattern)}: expected {N..M} or {a,b}`);
      for (const it of items) next.push(before + it + after);
      if (next.length > MAX_EXPANDED) throw new InputError(`${show(pattern)} names more than ${MAX_EXPANDED} files`);
    }
    out = next;
    if (!changed) return out;
  }
  throw new InputError(`${show(pattern)} nests braces too deeply`);
}

function globRegex(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = errnoCode(err);
    throw new InputError(`cannot read directory${code ? ` (${code})` : ''}`, { file: dir, cause: err });
  }
}

/**
 * The files named by `entries` (see the module comment): local paths absolute, URLs as given.
 * `ext` (with dot, lower case) selects a directory's files. No match, or nothing at all, is an InputError.
 */
export async function expandFileList(entries: readonly string[], ext: string, what: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of entries) {
    for (const item of expandBraces(entry)) {
      if (isUrl(item)) {
        out.push(item);
        continue;
      }
      const path = resolve(item);
      const name = basename(path);
      if (/[*?]/.test(dirname(path))) throw new InputError(`wildcards only in the file name, not in directories: ${show(item)}`);
      if (/[*?]/.test(name)) {
        const re = globRegex(name);
        const hits = (await listDir(dirname(path))).filter((n) => re.test(n) && !n.startsWith('.')).sort(compareIds);
        if (hits.length === 0) throw new InputError(`no ${what} matches ${show(name)}`, { file: dirname(path) });
        out.push(...hits.map((n) => join(dirname(path), n)));
        continue;
      }
      const st = await stat(path).catch((err: unknown) => {
        const code = errnoCode(err);
        throw new InputError(`cannot open ${what}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`, { file: path, cause: err });
      });
      if (st.isDirectory()) {
        const hits = (await listDir(path)).filter((n) => n.toLowerCase().endsWith(ext) && !n.startsWith('.')).sort(compareIds);
        if (hits.length === 0) throw new InputError(`no *${ext} ${what} in the directory`, { file: path });
        out.push(...hits.map((n) => join(path, n)));
      } else out.push(path);
      if (out.length > MAX_EXPANDED) throw new InputError(`more than ${MAX_EXPANDED} ${what}s`);
    }
  }
  if (out.length === 0) throw new InputError(`no ${what}s given`);
  return out;
}
