/**
 * Cross-implementation test: our shards read by pyarrow (full validation), Hugging Face datasets
 * and polars, against values written here. Needs .venv (scripts/setup-python.sh): fails under CI
 * when it is missing, skips with a message otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { materialize } from '../../src/tickets/materialize.js';
import { Compression, type TicketRow } from '../../src/shards/types.js';
import { makeMeta, makeTicketRows, readTickets, tempDir, writeTickets } from '../shards/helpers.js';
import { smallPatchify, syntheticSource } from '../tickets/source.js';

const PYTHON = join('.venv', 'bin', 'python');
const missing = !existsSync(PYTHON);
if (missing && process.env.CI) throw new Error(`${PYTHON} is missing: run scripts/setup-python.sh (the interop test must not be skipped in CI)`);

function sha(parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function expected(rows: TicketRow[]): object {
  const bytes = (a: Uint16Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return {
    ids: rows.map((r) => r.id),
    labels: rows.map((r) => r.label),
    patchesSha256: sha(rows.map((r) => r.patches)),
    positionsSha256: sha(rows.map((r) => bytes(r.positions))),
    scoresSha256: sha(rows.map((r) => bytes(r.scores))),
  };
}

const cases = [
  { name: 'random k=4 over several shards', policy: 'random' as const, keep: 0.25, shardBytes: 5_000, size: 37, patch: 8 },
  { name: 'full k=N', policy: 'full' as const, keep: undefined, shardBytes: 1 << 20, size: 9, patch: 8 },
  { name: 'random k=1, 16-px patches', policy: 'random' as const, keep: 0.01, shardBytes: 1 << 20, size: 5, patch: 16 },
];

for (const c of cases) {
  test(`pyarrow, datasets and polars read our shards: ${c.name}`, { skip: missing ? `${PYTHON} missing: run scripts/setup-python.sh` : false }, async () => {
    const dir = await tempDir();
    await materialize({ source: syntheticSource(c.size), patchify: smallPatchify(32, c.patch), policy: c.policy, keep: c.keep, seed: 5, engine: { out: dir, shardBytes: c.shardBytes, progress: false } });
    const rows = await readTickets(dir);
    const expectFile = join(await tempDir(), 'expected.json');
    await writeFile(expectFile, JSON.stringify(expected(rows)));
    const res = spawnSync(PYTHON, ['test/interop/read_shards.py', dir, expectFile], { encoding: 'utf8', env: { ...process.env, HF_DATASETS_OFFLINE: '1' } });
    assert.equal(res.status, 0, `read_shards.py failed:\n${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, /interop ok/);
  });
}

test('pyarrow, datasets, polars and dlth\'s Python reader read our lz4- and zstd-compressed shards', { skip: missing ? `${PYTHON} missing: run scripts/setup-python.sh` : false }, async () => {
  const args: string[] = [];
  for (const codec of [Compression.Lz4, Compression.Zstd]) {
    const meta = { ...makeMeta({ k: 5, numClasses: 10 }), policy: 'ticket' as const, compression: codec };
    // Compressible patches (gradients) and incompressible ones (noise, stored as −1 buffers) in separate batches.
    const rows = makeTicketRows(meta, 23).map((r, i) => ({ ...r, patches: i < 12 ? r.patches.map((_, j) => (i + (j >> 5)) & 255) : r.patches, scores: Float32Array.from({ length: meta.k }, (_, j) => j / 2 - i) }));
    const dir = await tempDir();
    await writeTickets(dir, meta, rows, { batchBytes: 6000, shardBytes: 30_000 });
    const expectFile = join(await tempDir(), 'expected.json');
    await writeFile(expectFile, JSON.stringify(expected(rows)));
    args.push(dir, expectFile);
  }
  const res = spawnSync(PYTHON, ['test/interop/read_shards.py', ...args], { encoding: 'utf8', env: { ...process.env, HF_DATASETS_OFFLINE: '1' } });
  assert.equal(res.status, 0, `read_shards.py failed:\n${res.stdout}\n${res.stderr}`);
  assert.equal(res.stdout.match(/interop ok/g)?.length, 2);
});

test('pyarrow, datasets, polars and dlth\'s Python reader read JPEG-encoded shards (plain and zstd), Pillow\'s decode equal to ours', { skip: missing ? `${PYTHON} missing: run scripts/setup-python.sh` : false }, async () => {
  const args: string[] = [];
  for (const compression of [Compression.None, Compression.Zstd]) {
    const dir = await tempDir();
    await materialize({ source: syntheticSource(23, 48), patchify: smallPatchify(48, 16), policy: 'random', keep: 0.5, seed: 5, patchEncoding: 'jpeg', jpegQuality: 80,
      engine: { out: dir, shardBytes: 40_000, progress: false, compression } });
    const expectFile = join(await tempDir(), 'expected.json');
    await writeFile(expectFile, JSON.stringify(expected(await readTickets(dir))));
    args.push(dir, expectFile);
  }
  const res = spawnSync(PYTHON, ['test/interop/read_shards.py', ...args], { encoding: 'utf8', env: { ...process.env, HF_DATASETS_OFFLINE: '1' } });
  assert.equal(res.status, 0, `read_shards.py failed:\n${res.stdout}\n${res.stderr}`);
  assert.equal(res.stdout.match(/interop ok/g)?.length, 2);
});

for (const codec of [Compression.Lz4, Compression.Zstd]) {
  test(`our reader and verify accept ${codec}-compressed shards written by pyarrow`, { skip: missing ? `${PYTHON} missing: run scripts/setup-python.sh` : false }, async () => {
    const dir = await tempDir();
    const res = spawnSync(PYTHON, ['test/interop/write_shards.py', dir, codec], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const want = JSON.parse(res.stdout) as { ids: string[]; positions: number[][]; patches0: number[] };
    const { verifyDataset } = await import('../../src/shards/verify.js');
    assert.equal((await verifyDataset(dir)).rows, want.ids.length);
    const rows = await readTickets(dir);
    assert.equal(rows[0].patches.length, 5 * 8 * 8 * 3);
    assert.deepEqual(rows.map((r) => r.id), want.ids);
    assert.deepEqual(rows.map((r) => [...r.positions]), want.positions);
    assert.deepEqual([...rows[0].patches.subarray(0, 8)], want.patches0);
  });
}

test('our reader and verify accept a dataset written by pyarrow from the specification', { skip: missing ? `${PYTHON} missing: run scripts/setup-python.sh` : false }, async () => {
  const dir = await tempDir();
  const res = spawnSync(PYTHON, ['test/interop/write_shards.py', dir], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const want = JSON.parse(res.stdout) as { ids: string[]; positions: number[][]; patches0: number[] };
  const { verifyDataset } = await import('../../src/shards/verify.js');
  assert.equal((await verifyDataset(dir)).rows, want.ids.length);
  const rows = await readTickets(dir);
  assert.deepEqual(rows.map((r) => r.id), want.ids);
  assert.deepEqual(rows.map((r) => [...r.positions]), want.positions);
  assert.deepEqual([...rows[0].patches.subarray(0, 8)], want.patches0);
  assert.equal(rows[0].label, null);
});
