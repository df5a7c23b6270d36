/** Failed samples: one JSON line `{index, id, file, reason}` each, in slot order (errors.jsonl). */
import type { Source } from '../sources/types.js';
import { DlthError } from '../util/errors.js';

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
