/**
 * The shared manifest corpus (test/fixtures/manifests/): every case through parseManifest to the
 * outcome cases.json records, naming the recorded JSON path. python/tests/test_manifest_corpus.py
 * runs the same files through the Python reader. The committed files are what
 * scripts/make-manifest-corpus.ts writes, and the Python package validates with a copy of
 * schemas/manifest.schema.json that must stay equal to it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR, INDEX_FILE, buildCorpus, corpusIndex, type CorpusCase } from '../../scripts/make-manifest-corpus.js';
import { parseManifest } from '../../src/shards/manifest.js';
import { ManifestError } from '../../src/util/errors.js';
import { schemaPath } from '../../src/util/schemas.js';

const cases = (JSON.parse(readFileSync(join(CORPUS_DIR, INDEX_FILE), 'utf8')) as { cases: CorpusCase[] }).cases;

/** parseManifest's verdict on one case: null when accepted, else the ManifestError's message. */
function verdict(c: CorpusCase): string | null {
  try {
    parseManifest(readFileSync(join(CORPUS_DIR, c.file)), c.file);
    return null;
  } catch (err) {
    assert.ok(err instanceof ManifestError, `${c.file}: ${String(err)}`);
    return err.message;
  }
}

test('manifest corpus: the committed files are what scripts/make-manifest-corpus.ts writes', () => {
  const built = buildCorpus();
  assert.deepEqual(readdirSync(CORPUS_DIR).sort(), [...built.map((f) => f.file), INDEX_FILE].sort(), 'run: node --import tsx scripts/make-manifest-corpus.ts');
  for (const f of built) assert.ok(Buffer.from(f.bytes).equals(readFileSync(join(CORPUS_DIR, f.file))), `${f.file} is stale: run the script`);
  assert.equal(readFileSync(join(CORPUS_DIR, INDEX_FILE), 'utf8'), corpusIndex(built));
  assert.ok(built.filter((f) => f.outcome === 'accept').length >= 4 && built.filter((f) => f.outcome === 'reject').length >= 40);
});

test('manifest corpus: parseManifest accepts or rejects every case as recorded, naming its path', () => {
  for (const c of cases) {
    const message = verdict(c);
    if (c.outcome === 'accept') assert.equal(message, null, `${c.file} (${c.why})`);
    else {
      assert.notEqual(message, null, `${c.file} was accepted (${c.why})`);
      if (c.path !== null) assert.ok(message?.startsWith(`${c.file}: ${c.path}: `), `${c.file}: expected ${c.path}, got ${message}`);
    }
  }
});

test('manifest corpus: the Python package validates with schemas/manifest.schema.json (its copy is equal)', () => {
  const packaged = readFileSync('python/dlth/manifest.schema.json');
  assert.ok(packaged.equals(readFileSync(schemaPath('manifest.schema.json'))), 'copy schemas/manifest.schema.json to python/dlth/manifest.schema.json');
});
