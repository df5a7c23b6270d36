/**
 * The webdataset source on real shards written by Python's tarfile from scikit-image's photos
 * (make_webdataset.py): GNU, pax and ustar headers; samples grouped by key; labels from cls,
 * class, cls.txt and json members; the same patches as the same images through an imagefolder
 * (materialize, policy full); refused links/devices/FIFOs and bad members in errors.jsonl;
 * truncated and corrupt archives as one error naming the file and offset; shards over http.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openSource } from '../../src/sources/open.js';
import { listTar, FileBytes } from '../../src/sources/tar.js';
import { expandBraces } from '../../src/sources/paths.js';
import { materialize } from '../../src/tickets/materialize.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { parseFailures } from '../../src/engine/failures.js';
import { InputError } from '../../src/util/errors.js';
import type { Source } from '../../src/sources/types.js';
import { nested } from '../tickets/source.js';
import { readTickets } from '../shards/helpers.js';
import { serveDir, type TestServer } from '../loader/server.js';
import { runDlth } from '../reliability/helpers.js';

const PYTHON = '.venv/bin/python';
const skip = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import skimage, PIL'], { encoding: 'utf8' }).status === 0
  ? undefined
  : `${PYTHON} with scikit-image is missing (npm run setup)`;
let dir = '';
let facts: { badsumOffset: number; truncatedSize: number; unterminatedSize: number; truncatedAt: number } = { badsumOffset: 0, truncatedSize: 0, unterminatedSize: 0, truncatedAt: 0 };
let server: TestServer | null = null;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'dlth-wds-'));
  const r = spawnSync(PYTHON, ['test/sources/make_webdataset.py', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  facts = JSON.parse(readFileSync(join(dir, 'facts.json'), 'utf8'));
  server = await serveDir(join(dir, 'wds'));
});

after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const patchify = resolvePatchifyConfig({ imageSize: 32, patchSize: 8, channels: 3 });
const keyOf = (id: string): string => basename(id).replace(/\.[^.]*$/, '');

async function bytesOf(source: Source, i: number): Promise<Uint8Array> {
  const p = await source.load(i);
  assert.equal(p.kind, 'encoded');
  return p.kind === 'encoded' ? p.bytes : new Uint8Array(0);
}

test('tar reader: GNU long names, directories, UTF-8 names; brace ranges', { skip }, async () => {
  const bytes = await FileBytes.open(join(dir, 'gnulong.tar'));
  const members = await listTar(bytes, 'gnulong.tar');
  await bytes.close();
  assert.deepEqual(members.map((m) => [m.name, m.type, m.size]), [[`${'x'.repeat(150)}${'/y'.repeat(20)}.txt`, 'file', 2], ['dir/', 'directory', 0], ['ünïcode.cls', 'file', 1]]);
  assert.deepEqual(expandBraces('s-{000008..000010}.tar'), ['s-000008.tar', 's-000009.tar', 's-000010.tar']);
  assert.deepEqual(expandBraces('{a,b}/{1..2}'), ['a/1', 'a/2', 'b/1', 'b/2']);
});

test('webdataset: ids, labels and bytes from GNU and pax shards (brace range)', { skip }, async () => {
  const source = await openSource({ kind: 'webdataset', shards: [join(dir, 'wds', 'shard-{000000..000001}.tar')], classes: ['a', 'b'] });
  const long = 'd'.repeat(120);
  assert.deepEqual(Array.from({ length: source.size }, (_, i) => source.ref(i).id), [
    'shard-000000/k0', 'shard-000000/k1', `shard-000001/${long}/k2`, `shard-000001/${long}/k3`, `shard-000001/${long}/k4`,
  ]);
  assert.deepEqual(Array.from({ length: source.size }, (_, i) => source.ref(i).label), [0, 1, 0, 1, 0]);
  assert.deepEqual(source.classes, ['a', 'b']);
  assert.deepEqual(await bytesOf(source, 2), new Uint8Array(readFileSync(join(dir, 'folder', 'a', 'k2.jpg'))));
  assert.match(source.ref(0).location, /shard-000000\.tar#k0\.png$/);
  const pgm = await source.load(4);
  assert.equal(pgm.kind, 'raw');
  // The same listing through a directory and a glob; limit/offset take a range of the sorted ids.
  const again = await openSource({ kind: 'webdataset', shards: [join(dir, 'wds')], classes: ['a', 'b'] });
  assert.equal(again.fingerprint, source.fingerprint);
  const ranged = await openSource({ kind: 'webdataset', shards: [join(dir, 'wds', '*.tar')], offset: 1, limit: 2 });
  assert.deepEqual([ranged.ref(0).id, ranged.ref(1).id], ['shard-000000/k1', `shard-000001/${long}/k2`]);
  assert.notEqual(ranged.fingerprint, source.fingerprint);
});

test('webdataset: the same patches as the same images through an imagefolder (materialize, full)', { skip, timeout: 30_000 }, async () => {
  const run = async (source: Source, name: string): Promise<Map<string, { label: number | null; patches: number[] }>> => {
    const out = join(dir, name);
    await materialize(nested({ source, patchify, policy: 'full', out, progress: false }));
    return new Map((await readTickets(out)).map((r) => [keyOf(r.id), { label: r.label, patches: [...r.patches] }]));
  };
  const folder = await run(await openSource({ kind: 'imagefolder', root: join(dir, 'folder') }), 'out-folder');
  const wds = await run(await openSource({ kind: 'webdataset', shards: [join(dir, 'wds', 'shard-*.tar')], classes: ['a', 'b'] }), 'out-wds');
  assert.equal(wds.size, 5);
  assert.deepEqual([...wds.keys()].sort(), [...folder.keys()].sort());
  for (const [key, row] of folder) assert.deepEqual(wds.get(key), row, key);
});

test('webdataset: links, devices and bad members are failed samples in errors.jsonl, naming shard and member', { skip, timeout: 30_000 }, async () => {
  const shard = join(dir, 'bad.tar');
  const r = await runDlth(['materialize', '--source', 'webdataset', '--shards', shard, '--image-size', '32', '--patch-size', '8', '--policy', 'full', '--out', join(dir, 'out-bad'), '--max-failures', '10', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const failures = parseFailures(readFileSync(join(dir, 'out-bad', 'errors.jsonl'), 'utf8'), 'errors.jsonl');
  const byId = new Map(failures.map((f) => [f.id, f]));
  assert.deepEqual([...byId.keys()].sort(), ['bad/c0', 'bad/f0', 'bad/h0', 'bad/m0', 'bad/n0', 'bad/s0', 'bad/x0']);
  const expect: Record<string, [string, RegExp]> = {
    'bad/s0': ['s0.jpg', /"s0\.jpg" is a symlink: refused/],
    'bad/h0': ['h0.png', /is a hardlink: refused/],
    'bad/f0': ['f0.jpg', /is a fifo: refused/],
    'bad/c0': ['c0.jpg', /./],
    'bad/n0': ['n0.png', /no label member/],
    'bad/x0': ['x0.cls', /"abc", not a non-negative integer/],
    'bad/m0': ['m0', /no image member/],
  };
  for (const [id, [member, reason]] of Object.entries(expect)) {
    const f = byId.get(id);
    assert.equal(f?.file, `${shard}#${member}`, id);
    assert.match(f?.reason ?? '', reason, id);
  }
  const rows = await readTickets(join(dir, 'out-bad'));
  assert.deepEqual(rows.map((x) => [x.id, x.label]), [['bad/g0', 1]]);
});

test('webdataset: a truncated, unterminated or corrupt shard is one error naming the file and offset', { skip }, async () => {
  const open = (name: string): Promise<Source> => openSource({ kind: 'webdataset', shards: [join(dir, name)] });
  await assert.rejects(open('truncated.tar'), (e: Error) => e instanceof InputError
    && e.message === `${join(dir, 'truncated.tar')}: truncated tar archive: a member's 466706 bytes of data start at offset ${facts.truncatedAt}, but the file ends at ${facts.truncatedSize}`);
  await assert.rejects(open('unterminated.tar'), new RegExp(`unterminated\\.tar: truncated tar archive: it ends at offset ${facts.unterminatedSize} without the end-of-archive block`));
  await assert.rejects(open('badsum.tar'), new RegExp(`badsum\\.tar: bad tar header at offset ${facts.badsumOffset}: checksum mismatch \\(corrupt archive\\)`));
  await assert.rejects(openSource({ kind: 'webdataset', shards: [join(dir, 'folder', 'a', 'k0.png')] }), /k0\.png: bad tar header at offset 0: checksum mismatch \(not a tar archive\)/);
  await assert.rejects(openSource({ kind: 'webdataset', shards: [join(dir, 'facts.json')] }), /facts\.json: not a tar archive: \d+ bytes, shorter than one header/);
  await assert.rejects(openSource({ kind: 'webdataset', shards: [join(dir, 'wds', 'none-*.tar')] }), /no tar shard matches "none-\*\.tar"/);
});

test('webdataset over http: the same samples as local shards; credentials from the URL; a missing shard names the URL', { skip }, async () => {
  const base = (server as TestServer).url;
  const local = await openSource({ kind: 'webdataset', shards: [join(dir, 'wds')] });
  const remote = await openSource({ kind: 'webdataset', shards: [`${base}/shard-{000000..000001}.tar`] });
  assert.equal(remote.fingerprint, local.fingerprint);
  for (let i = 0; i < local.size; i++) {
    assert.deepEqual(remote.ref(i).id, local.ref(i).id);
    const [a, b] = [await remote.load(i), await local.load(i)];
    assert.deepEqual(a.kind === 'encoded' ? a.bytes : a.image.data, b.kind === 'encoded' ? b.bytes : b.image.data);
  }
  assert.match(remote.ref(0).location, /^http:\/\/127\.0\.0\.1:\d+\/shard-000000\.tar#k0\.png$/);
  const authed = new URL(`${base}/auth/shard-000000.tar`);
  authed.username = 'user';
  authed.password = 's3cret';
  const withAuth = await openSource({ kind: 'webdataset', shards: [authed.href] });
  assert.equal(withAuth.size, 2);
  assert.ok(!withAuth.ref(0).location.includes('s3cret'));
  await assert.rejects(openSource({ kind: 'webdataset', shards: [`${base}/shard-000009.tar`] }), /shard-000009\.tar: HTTP 404/);
});
