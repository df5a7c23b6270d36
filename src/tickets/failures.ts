/** Failed samples: one JSON line `{index, id, file, reason}` each, in slot order (errors.jsonl). */
import { join } from 'node:path';
import type { Source } from '../sources/types.js';
import { DlthError, TooManyFailuresError } from '../util/errors.js';
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
