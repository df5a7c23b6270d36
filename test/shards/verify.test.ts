import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest, serializeManifest } from '../../src/shards/manifest.js';
import type { Manifest } from '../../src/shards/types.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { sha256Hex } from '../../src/util/hash.js';
import { ManifestError, ShardError } from '../../src/util/errors.js';
import { makeMeta, makeTicketRows, tempDir, writeTickets } from './helpers.js';

async function dataset(): Promise<{ dir: string; manifest: Manifest }> {
  const meta = makeMeta({ k: 3 });
  const rows = makeTicketRows(meta, 12).map((r) => ({ ...r, positions: Uint16Array.of(1, 5, 15), patches: r.patches.fill(7), scores: new Float32Array(3).fill(NaN) }));
  const dir = await tempDir();
  const { manifest } = await writeTickets(dir, meta, rows, { shardBytes: 3000 });
  return { dir, manifest };
}

async function rewriteManifest(dir: string, edit: (m: Manifest) => unknown): Promise<void> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(edit(m) ?? m));
}

/** Replaces `from` by `to` in a shard, then re-hashes it into a consistent manifest (so only value checks can catch it). */
async function patchShard(dir: string, m: Manifest, from: number[], to: number[]): Promise<void> {
  const path = join(dir, m.shards[0].file);
  const bytes = await readFile(path);
  const at = bytes.indexOf(Buffer.from(from));
  assert.ok(at > 0, 'pattern found');
  Buffer.from(to).copy(bytes, at);
  await writeFile(path, bytes);
  const shards = m.shards.map((s, i) => (i === 0 ? { ...s, sha256: sha256Hex(bytes) } : s));
  await writeFile(join(dir, 'manifest.json'), serializeManifest(buildManifest(m.meta, shards, m.rowsPerShard)));
}

test('a valid dataset verifies', async () => {
  const { dir, manifest } = await dataset();
  const r = await verifyDataset(dir);
  assert.equal(r.rows, 12);
  assert.equal(r.shards, manifest.shards.length);
});

test('a flipped byte is caught by the sha256', async () => {
  const { dir, manifest } = await dataset();
  const path = join(dir, manifest.shards[1].file);
  const bytes = await readFile(path);
  bytes[bytes.length - 40] ^= 0x01;
  await writeFile(path, bytes);
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ShardError && /sha256/.test(e.message) && e.message.includes(path));
});

test('a truncated shard is caught by its size', async () => {
  const { dir, manifest } = await dataset();
  await truncate(join(dir, manifest.shards[0].file), 100);
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ShardError && /size is 100 bytes/.test(e.message));
});

test('a schema not matching the manifest is rejected', async () => {
  const { dir, manifest } = await dataset();
  const meta = { ...manifest.meta, channels: 1, mean: [0.5], std: [0.25] };
  await writeFile(join(dir, 'manifest.json'), serializeManifest(buildManifest(meta, manifest.shards)));
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ShardError && /schema field 2/.test(e.message));
});

test('out-of-range and repeated positions are rejected', async () => {
  for (const [to, reason] of [[[0x10, 0], /not strictly ascending within \[0, 16\)/], [[5, 0], /not strictly ascending/]] as const) {
    const { dir, manifest } = await dataset();
    await patchShard(dir, manifest, [1, 0, 5, 0, 15, 0], [1, 0, 5, 0, ...to]);
    await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ShardError && reason.test(e.message));
  }
});

test('manifest paths that leave the directory are refused', async () => {
  for (const file of ['../evil.arrow', '/etc/passwd.arrow', 'sub/x.arrow', '.hidden.arrow']) {
    const { dir } = await dataset();
    await rewriteManifest(dir, (m) => ({ ...m, shards: m.shards.map((s, i) => (i === 0 ? { ...s, file } : s)) }));
    await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ManifestError && /file/.test(e.message));
  }
});

test('a shard symlink resolving outside the directory is refused', async () => {
  const { dir, manifest } = await dataset();
  const other = await tempDir();
  const outside = join(other, 'outside.arrow');
  await writeFile(outside, await readFile(join(dir, manifest.shards[0].file)));
  const link = join(dir, manifest.shards[0].file);
  await (await import('node:fs/promises')).rm(link);
  await symlink(outside, link);
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ManifestError && /outside the dataset directory/.test(e.message));
});

test('unknown versions, bad fingerprints and absurd sizes are rejected', async () => {
  const cases: Array<[(m: Manifest) => unknown, RegExp]> = [
    [(m) => ({ ...m, version: 2 }), /unknown format version 2/],
    [(m) => ({ ...m, fingerprint: `sha256:${'0'.repeat(64)}` }), /does not match the content/],
    [(m) => ({ ...m, shards: m.shards.map((s) => ({ ...s, bytes: 2 ** 50 })) }), /bytes: expected an integer/],
    [(m) => ({ ...m, rows: m.rows + 1 }), /differs from the sum/],
    [(m) => ({ ...m, extra: 1 }), /\$\.extra: unknown key/],
    [(m) => ({ ...m, meta: { ...m.meta, k: 99 } }), /\$\.meta\.k/],
  ];
  for (const [edit, reason] of cases) {
    const { dir } = await dataset();
    await rewriteManifest(dir, edit);
    await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ManifestError && reason.test(e.message), String(reason));
  }
});

test('garbage manifests are rejected quickly and clearly', async () => {
  const { dir } = await dataset();
  const garbage = Buffer.alloc(10 * 1024 * 1024);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
  await writeFile(join(dir, 'manifest.json'), garbage);
  const t0 = performance.now();
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ManifestError && /manifest\.json/.test(e.message));
  assert.ok(performance.now() - t0 < 2000);
  await writeFile(join(dir, 'manifest.json'), Buffer.alloc(20 * 1024 * 1024, 0x20));
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ManifestError && /larger than/.test(e.message));
  await writeFile(join(dir, 'manifest.json'), '[1,2,3]');
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ManifestError && /expected an object/.test(e.message));
});

test('a missing manifest means no dataset', async () => {
  const { dir } = await dataset();
  await (await import('node:fs/promises')).rm(join(dir, 'manifest.json'));
  await assert.rejects(verifyDataset(dir), (e: unknown) => e instanceof ManifestError);
});
