/**
 * The hf source on datasets written by Hugging Face `datasets` from scikit-image's photos
 * (make_hf.py): Parquet (several row groups) and save_to_disk (two Arrow files, and a DatasetDict),
 * ClassLabel names from the dataset's metadata, the same patches as the same images through an
 * imagefolder (materialize, policy full), bad rows in errors.jsonl, a corrupt Parquet file as one
 * error naming it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openSource } from '../../src/sources/open.js';
import { materialize } from '../../src/tickets/materialize.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { parseFailures } from '../../src/engine/failures.js';
import { InputError } from '../../src/util/errors.js';
import type { Source } from '../../src/sources/types.js';
import { nested } from '../tickets/source.js';
import { readTickets } from '../shards/helpers.js';
import { runDlth } from '../reliability/helpers.js';

const PYTHON = '.venv/bin/python';
const skip = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import skimage, datasets'], { encoding: 'utf8' }).status === 0
  ? undefined
  : `${PYTHON} with scikit-image and datasets is missing (npm run setup)`;
let dir = '';

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'dlth-hf-'));
  const env = { ...process.env, HF_DATASETS_OFFLINE: '1', HF_HUB_OFFLINE: '1', HF_DATASETS_CACHE: join(dir, 'cache'), HF_HUB_DISABLE_PROGRESS_BARS: '1' };
  const r = spawnSync(PYTHON, ['test/sources/make_hf.py', dir], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const patchify = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, channels: 3 });
const keyOf = (id: string): string => basename(id).replace(/\.[^.]*$/, '');
const ids = (s: Source): string[] => Array.from({ length: s.size }, (_, i) => s.ref(i).id);
const labels = (s: Source): (number | null)[] => Array.from({ length: s.size }, (_, i) => s.ref(i).label);

test('hf: Parquet and save_to_disk list the same rows, labels and class names', { skip }, async () => {
  const parquet = await openSource({ kind: 'hf', files: [join(dir, 'train.parquet')] });
  const disk = await openSource({ kind: 'hf', root: join(dir, 'disk') });
  for (const s of [parquet, disk]) {
    assert.deepEqual(ids(s), ['data/00000', 'data/00001', 'data/00002', 'data/00003', 'data/00004']);
    assert.deepEqual(labels(s), [0, 1, 0, 1, 0]);
    assert.deepEqual(s.classes, ['cat', 'cup']);
  }
  const p3 = await parquet.load(3);
  const d3 = await disk.load(3);
  assert.ok(p3.kind === 'encoded' && d3.kind === 'encoded');
  assert.deepEqual(p3.bytes, new Uint8Array(readFileSync(join(dir, 'folder', 'cup', '00003.png'))));
  assert.deepEqual(d3.bytes, p3.bytes);
  assert.match(parquet.ref(3).location, /train\.parquet#3$/);
  assert.match(disk.ref(3).location, /data-00001-of-00002\.arrow#\d$/);
  const test = await openSource({ kind: 'hf', root: join(dir, 'dict'), split: 'test' });
  assert.deepEqual(ids(test), ['test/00000', 'test/00001']);
  const ranged = await openSource({ kind: 'hf', root: join(dir, 'dict'), offset: 3, limit: 1 });
  assert.deepEqual(ids(ranged), ['train/00003']);
  assert.equal(ranged.ref(0).label, 1);
  await assert.rejects(openSource({ kind: 'hf', root: join(dir, 'dict'), split: 'validation' }), /no split "validation" in this DatasetDict \(splits: train, test\)/);
});

test('hf: the same patches as the same images through an imagefolder (materialize, full)', { skip, timeout: 30_000 }, async () => {
  const run = async (source: Source, name: string): Promise<Map<string, { label: number | null; patches: number[] }>> => {
    const out = join(dir, name);
    await materialize(nested({ source, patchify, policy: 'full', out, progress: false }));
    return new Map((await readTickets(out)).map((r) => [keyOf(r.id), { label: r.label, patches: [...r.patches] }]));
  };
  const folder = await run(await openSource({ kind: 'imagefolder', root: join(dir, 'folder') }), 'out-folder');
  const parquet = await run(await openSource({ kind: 'hf', files: [join(dir, 'train.parquet')] }), 'out-parquet');
  const disk = await run(await openSource({ kind: 'hf', root: join(dir, 'disk') }), 'out-disk');
  assert.equal(folder.size, 5);
  for (const [key, row] of folder) {
    assert.deepEqual(parquet.get(key), row, key);
    assert.deepEqual(disk.get(key), row, key);
  }
});

test('hf: bad rows are failed samples in errors.jsonl (CLI); a corrupt Parquet file is one error naming it', { skip, timeout: 30_000 }, async () => {
  const file = join(dir, 'bad.parquet');
  const out = join(dir, 'out-bad');
  const r = await runDlth(['materialize', '--source', 'hf', '--file', file, '--image-size', '32', '--patch-size', '8', '--policy', 'full', '--out', out, '--max-failures', '5', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const failures = parseFailures(readFileSync(join(out, 'errors.jsonl'), 'utf8'), 'errors.jsonl');
  assert.deepEqual(failures.map((f) => [f.id, f.file]), [['data/00001', `${file}#1`], ['data/00002', `${file}#2`], ['data/00003', `${file}#3`]]);
  assert.match(failures[1].reason, /label is null or not a non-negative integer/);
  assert.match(failures[2].reason, /no image \(null\)/);
  assert.deepEqual((await readTickets(out)).map((x) => [x.id, x.label]), [['data/00000', 1]]);
  await assert.rejects(openSource({ kind: 'hf', files: [join(dir, 'garbage.parquet')] }), (e: Error) => e instanceof InputError && e.message.startsWith(`${join(dir, 'garbage.parquet')}: cannot read Parquet file: `) && !e.message.includes('\n'));
  await assert.rejects(openSource({ kind: 'hf', files: [join(dir, 'train.parquet')], imageColumn: 'img' }), /train\.parquet: no column "img" \(imageColumn\); columns: image, bytes, path, label/);
});
