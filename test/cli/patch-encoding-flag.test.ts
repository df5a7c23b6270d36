/**
 * `--patch-encoding jpeg`: materialize writes JPEG rows recorded in meta.patchEncoding, verify
 * decodes every row, stream serves them decoded (raw); bad values are usage
 * errors; a pipeline's jpegQuality without patchEncoding jpeg is one error naming the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/shards/reader.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import { validatePipeline } from '../../src/pipeline/validate.js';
import { PipelineError } from '../../src/util/errors.js';
import { ROOT, runDlth } from '../reliability/helpers.js';
import { tempDir } from '../scaleout/helpers.js';

const src = ['--source', 'idx', '--root', join(ROOT, 'data', 'fashion-mnist-mini'), '--split', 'test', '--limit', '24', '--image-size', '28', '--patch-size', '4', '--channels', '1', '--resize', 'none', '--policy', 'random', '--keep', '0.5', '--seed', '1'];

test('CLI --patch-encoding jpeg: JPEG rows recorded in meta, verified; stream serves raw patches; bad values are usage errors', { timeout: 120_000 }, async () => {
  const root = await tempDir('patch-encoding');
  const raw = join(root, 'raw');
  const jpeg = join(root, 'jpeg');
  assert.equal((await runDlth(['materialize', ...src, '--out', raw, '-q'])).code, 0);
  const ok = await runDlth(['materialize', ...src, '--patch-encoding', 'jpeg', '--jpeg-quality', '85', '--out', jpeg, '-q']);
  assert.equal(ok.code, 0, ok.stderr);
  const ds = await openDataset(jpeg);
  assert.deepEqual(ds.meta.patchEncoding, { codec: 'jpeg', quality: 85, subsampling: '4:4:4', cell: 8, columns: 5 });
  const verified = await runDlth(['verify', jpeg]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /tickets, 24 rows/);
  // 4-px patches: each takes an 8×8 cell, so JPEG does not pay here (docs/compression.md); the rows match in count.
  assert.equal((await openDataset(raw)).manifest.rows, ds.manifest.rows);
  const inspected = await runDlth(['inspect', jpeg]);
  assert.match(inspected.stdout, /storage +patches as one JPEG per row \(quality 85, 4:4:4, 8-px cells, 5 per line\), uncompressed record batches/);
  assert.match((await runDlth(['inspect', raw])).stdout, /storage +raw patch bytes, uncompressed record batches/);
  const streamed = await runDlth(['stream', jpeg, '-q', '--batch', '8']);
  assert.equal(streamed.code, 0, streamed.stderr);
  assert.ok(!streamed.stdout.includes('patchEncoding'), 'the stream records raw patches');

  const usage: [string[], RegExp][] = [
    [['--patch-encoding', 'webp'], /--patch-encoding.*webp|webp.*choices/i],
    [['--patch-encoding', 'jpeg', '--jpeg-quality', '0'], /JPEG quality must be an integer in \[1, 100\], got 0/],
    [['--patch-encoding', 'jpeg', '--jpeg-quality', '101'], /JPEG quality must be an integer in \[1, 100\], got 101/],
    [['--jpeg-quality', '90'], /a JPEG quality is only for patch encoding jpeg/],
  ];
  for (const [flags, message] of usage) {
    const r = await runDlth(['materialize', ...src, ...flags, '--out', join(root, 'bad'), '-q']);
    assert.notEqual(r.code, 0, flags.join(' '));
    assert.match(r.stderr, message);
    // commander's choice errors add its usage text; ours are one line
    if (!flags.includes('webp')) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('pipeline materialize stages take patchEncoding and jpegQuality; a quality without jpeg or out of range is one error naming the key', () => {
  const base = JSON.parse(readFileSync('pipelines/fashion-mnist.json', 'utf8')) as Pipeline;
  const withStage = (extra: object): unknown => ({ ...base, stages: base.stages.map((s) => (s.kind === 'materialize' && s.policy === 'random' ? { ...s, ...extra } : s)) });
  assert.doesNotThrow(() => validatePipeline(withStage({ patchEncoding: 'jpeg', jpegQuality: 75 }), 'x.json'));
  for (const [extra, path] of [[{ jpegQuality: 75 }, /jpegQuality: a JPEG quality needs "patchEncoding": "jpeg"/], [{ patchEncoding: 'jpeg', jpegQuality: 0 }, /jpegQuality/], [{ patchEncoding: 'png' }, /patchEncoding/]] as const) {
    assert.throws(() => validatePipeline(withStage(extra), 'x.json'), (err: unknown) => {
      assert.ok(err instanceof PipelineError, String(err));
      assert.match(err.message, path);
      return true;
    });
  }
});
