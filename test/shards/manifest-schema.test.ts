/**
 * schemas/manifest.schema.json is the one source of truth for the manifest's shape: the reader
 * validates with it (ajv), the writer's manifests pass it, and the few constants the code keeps
 * for other checks (file-name pattern, bounds) are the schema's own values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MAX_SHARD_BYTES, MAX_SHARDS, SHA256_PATTERN, SHARD_FILE_PATTERN, buildManifest, parseManifest, serializeManifest } from '../../src/shards/manifest.js';
import { schemaError, schemaPath } from '../../src/util/schemas.js';
import { makeMeta } from './helpers.js';

const schema = JSON.parse(readFileSync(schemaPath('manifest.schema.json'), 'utf8')) as {
  properties: { shards: { maxItems: number } };
  $defs: { shard: { properties: { file: { pattern: string }; bytes: { maximum: number }; sha256: { pattern: string } } } };
};

test('manifest schema: the code\'s constants are the schema\'s values', () => {
  const shard = schema.$defs.shard.properties;
  assert.equal(SHARD_FILE_PATTERN.source, shard.file.pattern);
  assert.equal(SHA256_PATTERN.source, shard.sha256.pattern);
  assert.equal(MAX_SHARD_BYTES, shard.bytes.maximum);
  assert.equal(MAX_SHARDS, schema.properties.shards.maxItems);
});

test('manifest schema: what the writer builds passes the schema and the reader; a schema violation is named by path', () => {
  for (const kind of ['tickets', 'scores'] as const) {
    const meta = makeMeta({ kind });
    const m = buildManifest(meta, [{ file: 'shard-00000.arrow', rows: 3, bytes: 100, sha256: 'a'.repeat(64) }], 10);
    assert.equal(schemaError('manifest.schema.json', m), null, kind);
    assert.deepEqual(parseManifest(new TextEncoder().encode(serializeManifest(m)), 'm.json'), m);
    const bad = { ...m, meta: { ...m.meta, channels: 9 } };
    assert.match(schemaError('manifest.schema.json', bad)?.path ?? '', /^\$\.meta\.channels$/);
  }
});
