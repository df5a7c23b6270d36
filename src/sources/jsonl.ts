/**
 * `jsonl`: one `{"path": …, "label": …}` object per line; relative paths resolve against the jsonl
 * file's directory; blank lines are skipped. Labels are all integers (≥ 0) or all strings; strings
 * map through `classes` when given, else through the sorted unique names. The id is the path as
 * written (posix-normalised). Any malformed line is an InputError naming `file:line`.
 */
import { dirname, posix, resolve } from 'node:path';
import { InputError, show } from '../util/errors.js';
import type { JsonlSourceConfig } from './types.js';
import { compareIds, readInputFile, resolveMaxFileBytes } from './common.js';
import { FileListSource } from './file-list.js';

interface Line {
  id: string;
  path: string;
  raw: number | string;
  line: number;
}

function parseLine(text: string, file: string, line: number): Line {
  const where = `${file}:${line}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`, { file: where, cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('expected an object {"path", "label"}', { file: where });
  const { path, label } = value as { path?: unknown; label?: unknown };
  if (typeof path !== 'string' || path.length === 0) throw new InputError(`"path" must be a non-empty string, got ${show(path)}`, { file: where });
  if (label === undefined) throw new InputError('missing "label"', { file: where });
  const okInt = typeof label === 'number' && Number.isInteger(label) && label >= 0;
  if (!okInt && (typeof label !== 'string' || label.length === 0)) {
    throw new InputError(`"label" must be a non-negative integer or a non-empty string, got ${show(label)}`, { file: where });
  }
  return { id: posix.normalize(path.replace(/\\/g, '/')), path, raw: label as number | string, line };
}

function readLines(text: string, file: string): Line[] {
  const out: Line[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t) out.push(parseLine(t, file, i + 1));
  }
  return out;
}

/** Maps raw labels to class indices; returns the class list (null for integer labels without one). */
function mapLabels(lines: Line[], file: string, given: readonly string[] | undefined): { labels: number[]; classes: string[] | null } {
  const first = lines[0];
  const strings = typeof first.raw === 'string';
  const odd = lines.find((l) => typeof l.raw === 'string' !== strings);
  if (odd) throw new InputError(`label ${show(odd.raw)} mixes ${strings ? 'integer' : 'string'} labels with the ${strings ? 'string' : 'integer'} label of line ${first.line}`, { file: `${file}:${odd.line}` });
  const classes = given ? [...given] : strings ? [...new Set(lines.map((l) => l.raw as string))].sort(compareIds) : null;
  const index = new Map(classes?.map((c, i) => [c, i]));
  const labels = lines.map((l) => {
    const k = typeof l.raw === 'string' ? index.get(l.raw) : l.raw;
    if (k === undefined || (classes && k >= classes.length)) {
      throw new InputError(`label ${show(l.raw)} is not one of the ${classes?.length} classes`, { file: `${file}:${l.line}` });
    }
    return k;
  });
  return { labels, classes };
}

/** Largest jsonl listing read: V8's longest string is about 512 MiB. */
export const MAX_JSONL_BYTES = 512 * 1024 * 1024;

export async function openJsonl(config: JsonlSourceConfig): Promise<FileListSource> {
  const file = config.file;
  const maxFileBytes = resolveMaxFileBytes(config.maxFileBytes, file);
  // The listing itself: a regular file (a FIFO or device is refused, never read), bounded, interruptible.
  const text = (await readInputFile(file, MAX_JSONL_BYTES, 'jsonl file')).toString('utf8');
  const lines = readLines(text, file);
  if (lines.length === 0) throw new InputError('no samples (empty jsonl file)', { file });
  const { labels, classes } = mapLabels(lines, file, config.classes);
  const base = dirname(resolve(file));
  const samples = lines.map((l, i) => ({ id: l.id, path: resolve(base, l.path), label: labels[i], line: l.line }));
  samples.sort((a, b) => compareIds(a.id, b.id));
  for (let i = 1; i < samples.length; i++) {
    if (samples[i].id === samples[i - 1].id) {
      const [a, b] = [samples[i - 1].line, samples[i].line].sort((x, y) => x - y);
      throw new InputError(`duplicate path ${show(samples[i].id)} (also on line ${a})`, { file: `${file}:${b}` });
    }
  }
  return FileListSource.create('jsonl', classes, samples, maxFileBytes);
}
