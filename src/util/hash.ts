import { createHash, type Hash } from 'node:crypto';

/** JSON with object keys sorted recursively: the canonical form used for fingerprints. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a "__proto__" key (JSON.parse makes one) is kept, not
    // taken for the prototype setter and silently dropped from the canonical form.
    const entries = Object.keys(value).sort().map((key): [string, unknown] => [key, (value as Record<string, unknown>)[key]]);
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A short, stable fingerprint (`sha256:` + 16 hex) of any JSON-able value. */
export function fingerprint(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value)).slice(0, 16)}`;
}

export function newSha256(): Hash {
  return createHash('sha256');
}
