/** Today's code writes the golden datasets (test/fixtures/golden/) byte for byte; see make.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GOLDEN_DIR, GOLDEN_KINDS, makeGolden } from './make.js';

async function files(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as [string, Buffer])));
}

test('golden: full, random, ticket and score datasets are written byte for byte as committed', { timeout: 120_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'dlth-golden-'));
  try {
    await makeGolden(out);
    for (const kind of GOLDEN_KINDS) {
      const want = await files(join(GOLDEN_DIR, kind));
      assert.ok(want.has('manifest.json') && [...want.keys()].filter((n) => n.endsWith('.arrow')).length >= 2, `${kind}: a committed manifest and several shards`);
      const got = await files(join(out, kind));
      assert.deepEqual([...got.keys()], [...want.keys()], `${kind}: files`);
      for (const [name, bytes] of want) assert.ok(bytes.equals(got.get(name) as Buffer), `${kind}/${name} differs from the golden file (regenerate deliberately: node --import tsx test/golden/make.ts --write)`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
