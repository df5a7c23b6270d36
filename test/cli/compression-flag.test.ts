/** `--compression`: materialize writes compressed shards that `dlth verify` checks; a bad codec is a usage error; a tampered compressed shard fails verify naming it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset } from '../../src/shards/reader.js';
import { ROOT, runDlth } from '../reliability/helpers.js';
import { tempDir } from '../scaleout/helpers.js';

const src = ['--source', 'idx', '--root', join(ROOT, 'data', 'fashion-mnist-mini'), '--split', 'test', '--limit', '24', '--image-size', '28', '--patch-size', '4', '--channels', '1', '--resize', 'none', '--policy', 'random', '--keep', '0.5', '--seed', '1'];

test('CLI --compression zstd: compressed shards, recorded in meta, verified; a corrupt one fails verify naming it; a bad codec is a usage error', { timeout: 90_000 }, async () => {
  const root = await tempDir('compression');
  const out = join(root, 'zstd');
  const ok = await runDlth(['materialize', ...src, '--compression', 'zstd', '--shard-mb', '0.01', '--out', out, '-q']);
  assert.equal(ok.code, 0, ok.stderr);
  const ds = await openDataset(out);
  assert.equal(ds.meta.compression, 'zstd');
  assert.ok(ds.manifest.shards.length > 1);
  const verified = await runDlth(['verify', out]);
  assert.equal(verified.code, 0, verified.stderr);

  // Flip bytes inside the first shard's last record batch body (the compressed data), keep the manifest.
  const file = join(out, ds.manifest.shards[0].file);
  const bytes = await readFile(file);
  for (let i = bytes.length - 200; i < bytes.length - 40; i += 7) bytes[i] ^= 0xa5;
  await writeFile(file, bytes);
  const bad = await runDlth(['verify', out]);
  assert.equal(bad.code, 4, bad.stderr);
  assert.match(bad.stderr, /shard-00000\.arrow: /);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);

  const usage = await runDlth(['materialize', ...src, '--compression', 'gzip', '--out', join(root, 'gz'), '-q']);
  assert.notEqual(usage.code, 0);
  assert.match(usage.stderr, /--compression.*gzip|gzip.*choices/i);
});
