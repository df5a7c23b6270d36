import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseManifest } from '../../src/shards/manifest.js';
import { DatasetKind, type Manifest } from '../../src/shards/types.js';
import { makeMeta, makeScoreRows, makeTicketRows, tempDir, writeScores, writeTickets } from './helpers.js';

const schema = JSON.parse(await readFile('schemas/manifest.schema.json', 'utf8')) as object;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

async function manifests(): Promise<Manifest[]> {
  const [a, b] = [await tempDir(), await tempDir()];
  await writeTickets(a, makeMeta({ k: 3 }), makeTicketRows(makeMeta({ k: 3 }), 5), { shardBytes: 2000 });
  await writeScores(b, makeMeta({ kind: DatasetKind.Scores }), makeScoreRows(makeMeta({ kind: DatasetKind.Scores }), 4));
  return Promise.all([a, b].map(async (d) => JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8')) as Manifest));
}

test('written manifests validate against schemas/manifest.schema.json and parse', async () => {
  for (const m of await manifests()) {
    assert.ok(validate(m), JSON.stringify(validate.errors));
    parseManifest(Buffer.from(JSON.stringify(m)), 'manifest.json');
  }
});

test('the JSON Schema and the reader reject the same structural errors', async () => {
  const [m] = await manifests();
  const bad: unknown[] = [
    { ...m, version: 2 },
    { ...m, format: 'other' },
    { ...m, extra: true },
    { ...m, kind: 'images' },
    { ...m, shards: [{ ...m.shards[0], file: '../x.arrow' }] },
    { ...m, shards: [{ ...m.shards[0], sha256: 'zz' }] },
    { ...m, shards: [{ ...m.shards[0], bytes: 2 ** 50 }] },
    { ...m, meta: { ...m.meta, keep: 0 } },
    { ...m, meta: { ...m.meta, policy: 'best' } },
    { ...m, meta: { ...m.meta, channels: 9 } },
  ];
  for (const v of bad) {
    assert.equal(validate(v), false, JSON.stringify(v).slice(0, 200));
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify(v)), 'manifest.json'));
  }
});
