/**
 * manifest.json: building it (fingerprint over metadata and shard hashes) and parsing it from
 * untrusted bytes (size bound, JSON, structure, version, safe file names, consistent counts).
 */
import { ManifestError, show } from '../util/errors.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import { schemaError } from '../util/schemas.js';
import type { Fail } from './check.js';
import { jsonTooDeep } from './json-depth.js';
import { checkMeta } from './meta.js';
import { FORMAT_NAME, FORMAT_VERSION, type DatasetMeta, type Manifest, type ManifestShard } from './types.js';

export const MANIFEST_FILE = 'manifest.json';
/** Largest manifest a reader accepts (≈ 100k shards). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
export const MAX_SHARDS = 100_000;
/** Deepest JSON nesting a reader accepts (a valid manifest is 4 deep: $.meta.source.classes[]). */
export const MAX_MANIFEST_DEPTH = 32;
/** Largest shard a reader accepts (1 TiB). */
export const MAX_SHARD_BYTES = 2 ** 40;
export const MAX_ROWS = 2 ** 31 - 1;
/** Shard file names: one path component, no leading dot, `.arrow`. */
export const SHARD_FILE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}\.arrow$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** sha256 of the canonical JSON of format, version, kind, meta and the shard list. */
export function datasetFingerprint(meta: DatasetMeta, shards: readonly ManifestShard[]): string {
  const body = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    kind: meta.kind,
    meta,
    shards: shards.map(({ file, rows, bytes, sha256 }) => ({ file, rows, bytes, sha256 })),
  };
  return `sha256:${sha256Hex(canonicalJson(body))}`;
}

export function buildManifest(meta: DatasetMeta, shards: readonly ManifestShard[], rowsPerShard?: number): Manifest {
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    kind: meta.kind,
    fingerprint: datasetFingerprint(meta, shards),
    rows: shards.reduce((n, s) => n + s.rows, 0),
    ...(rowsPerShard !== undefined ? { rowsPerShard } : {}),
    meta,
    shards: shards.map((s) => ({ ...s })),
  };
}

/** The manifest's bytes: canonical JSON (sorted keys), 2-space indented, trailing newline. */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(manifest)), null, 2)}\n`;
}

/** Parses and validates manifest bytes. Throws a ManifestError naming `file` and the JSON path. */
export function parseManifest(data: Uint8Array, file: string): Manifest {
  const fail: Fail = (message) => {
    throw new ManifestError(message, { file });
  };
  if (data.byteLength > MAX_MANIFEST_BYTES) fail(`${data.byteLength} bytes is larger than the ${MAX_MANIFEST_BYTES}-byte limit`);
  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    // Before JSON.parse, whose memory grows ~80× the input on deep nesting (10 MB of `[` ≈ 800 MiB).
    const deep = jsonTooDeep(text, MAX_MANIFEST_DEPTH);
    if (deep >= 0) fail(`JSON nested deeper than ${MAX_MANIFEST_DEPTH} levels (at character ${deep}); a manifest is 4 levels deep`);
    json = JSON.parse(text);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    fail(`not valid UTF-8 JSON (${err instanceof Error ? err.message.slice(0, 120) : 'parse error'})`);
  }
  const head = json as Partial<Manifest> | null;
  if (head !== null && typeof head === 'object' && !Array.isArray(head)) {
    if (head.format !== FORMAT_NAME) fail(`$.format: expected ${show(FORMAT_NAME)}, got ${show(head.format)}`);
    if (head.version !== FORMAT_VERSION) fail(`$.version: unknown format version ${show(head.version)} (this reader knows ${FORMAT_VERSION})`);
  }
  const error = schemaError('manifest.schema.json', json);
  if (error) fail(`${error.path}: ${error.message}`);
  const m = json as Manifest;
  const meta = checkMeta(m.meta, '$.meta', fail);
  if (meta.kind !== m.kind) fail(`$.meta.kind: ${show(meta.kind)} differs from $.kind ${show(m.kind)}`);
  const { shards, rows } = m;
  const names = new Set(shards.map((s) => s.file));
  if (names.size !== shards.length) fail('$.shards: duplicate file names');
  const total = shards.reduce((n, s) => n + s.rows, 0);
  if (total !== rows) fail(`$.rows: ${rows} differs from the sum of shard rows ${total}`);
  const views = meta.views?.count ?? 1;
  shards.forEach((s, i) => s.rows % views === 0 || fail(`$.shards[${i}].rows: ${s.rows} is not a multiple of meta.views.count ${views} (a shard holds all K views of each of its images)`));
  const expected = datasetFingerprint(meta, shards);
  if (m.fingerprint !== expected) fail(`$.fingerprint: ${show(m.fingerprint)} does not match the content (${expected})`);
  return m;
}
