/**
 * Failed samples: errors.jsonl, one JSON line `{index, id, file, reason}` each, in source order;
 * `index` is the sample's position in the whole sorted source (the same for every worker split).
 * One format, written here and parsed here (the run summary and merge read it through parseFailures).
 */
import { join } from 'node:path';
import type { Source } from '../sources/types.js';
import { DlthError, InputError, show, TooManyFailuresError } from '../util/errors.js';
import { writeFileAtomic, type Fs } from '../util/fsx.js';

export const ERRORS_FILE = 'errors.jsonl';

export interface FailureRecord {
  index: number;
  id: string;
  file: string;
  reason: string;
}

export function failureRecord(source: Pick<Source, 'ref'>, index: number, error: Error): FailureRecord {
  const ref = source.ref(index);
  const file = error instanceof DlthError && error.file ? error.file : ref.location;
  const prefix = `${file}: `;
  const reason = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { index, id: ref.id, file, reason };
}

export function serializeFailures(records: readonly FailureRecord[]): string {
  return records.map((r) => `${JSON.stringify({ index: r.index, id: r.id, file: r.file, reason: r.reason })}\n`).join('');
}

function parseLine(line: string, n: number, file: string): FailureRecord {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    v = null;
  }
  const r = v as Partial<FailureRecord> | null;
  if (r === null || typeof r !== 'object' || Array.isArray(r) || !Number.isSafeInteger(r.index)
    || typeof r.id !== 'string' || typeof r.file !== 'string' || typeof r.reason !== 'string') {
    throw new InputError(`line ${n}: not a failure record {index, id, file, reason}: ${show(line)}`, { file });
  }
  return { index: r.index as number, id: r.id, file: r.file, reason: r.reason };
}

/** Parses errors.jsonl text (blank lines ignored); throws InputError naming `file` and the line. */
export function parseFailures(text: string, file: string): FailureRecord[] {
  const out: FailureRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '') out.push(parseLine(line, i + 1, file));
  });
  return out;
}

/** The failure records of a dataset directory ([] when it has no errors.jsonl). */
export async function readFailures(dir: string, fs: Fs): Promise<FailureRecord[]> {
  const file = join(dir, ERRORS_FILE);
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  return text === null ? [] : parseFailures(String(text), file);
}

/**
 * Writes a stage's `errors.jsonl` (always, so a clean rerun clears old failures), then throws
 * TooManyFailuresError when more samples failed than tolerated.
 */
export async function commitFailures(out: string, failures: readonly FailureRecord[], maxFailures: number, fs: Fs): Promise<void> {
  const file = join(out, ERRORS_FILE);
  await writeFileAtomic(file, serializeFailures(failures), fs);
  if (failures.length > maxFailures) {
    throw new TooManyFailuresError(`${failures.length} samples failed (max ${maxFailures}); see ${ERRORS_FILE}`, failures.length, { file });
  }
}
