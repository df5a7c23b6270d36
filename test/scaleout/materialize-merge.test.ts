/**
 * Merge on real data: materialize the embedded Fashion-MNIST slice as N workers (each on its
 * sliceSource, into workers/<i>-of-<N>/) and as one process; after `mergeRun` the content is equal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { materialize } from '../../src/tickets/materialize.js';
import { openSource } from '../../src/sources/open.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { patchify as realPatchify } from '../../src/patchify/patchify.js';
import type { ImagePayload } from '../../src/sources/types.js';
import { ImageError } from '../../src/util/errors.js';
import { mergeRun } from '../../src/pipeline/merge.js';
import { verifyDataset } from '../../src/shards/verify.js';
import type { Policy } from '../../src/shards/types.js';
import { REPO } from './cluster.js';
import { readContent, tempDir } from './helpers.js';

const patchify = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none' });

/** Patchify that fails on every 37th image (by its location), so errors.jsonl has records to merge. */
function flaky(payload: ImagePayload, config: typeof patchify): ReturnType<typeof realPatchify> {
  const at = Number(/#(\d+)$/.exec(payload.file)?.[1] ?? '0');
  if (at % 37 === 5) return Promise.reject(new ImageError('injected failure', { file: payload.file }));
  return realPatchify(payload, config);
}

test('merge: N materialized worker parts (full, random) equal one materialize run', { timeout: 60_000 }, async () => {
  const source = await openSource({ kind: 'idx', dir: join(REPO, 'data', 'fashion-mnist-mini'), split: 'test', limit: 300 });
  const root = await tempDir('mat');
  const common = { patchify, seed: 1, patchifyFn: flaky };
  const eng = { shardBytes: 16384, progress: false, maxFailures: 100 };
  for (const [policy, keep] of [['full', undefined], ['random', 0.25]] as [Policy, number | undefined][]) {
    const single = join(root, 'single', policy);
    await materialize({ ...common, source, policy, keep, engine: { ...eng, out: single } });
    for (const count of [3, 7]) {
      const out = join(root, `w${count}`);
      const dir = join(out, policy);
      for (let index = 0; index < count; index++) {
        const worker = { index, count };
        await materialize({ ...common, source, policy, keep, engine: { ...eng, worker, out: dir } });
      }
      await mergeRun({ out });
      assert.deepEqual(await readContent(dir), await readContent(single), `${policy}, ${count} workers`);
      assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), await readFile(join(single, 'manifest.json'), 'utf8'), 'byte-identical manifest (so shards too)');
      assert.equal((await verifyDataset(dir)).rows, 300 - 8);
      const errors = await readFile(join(dir, 'errors.jsonl'), 'utf8');
      assert.equal(errors.split('\n').length - 1, 8);
      assert.equal(errors, await readFile(join(single, 'errors.jsonl'), 'utf8'), 'errors.jsonl with whole-source indices');
    }
  }
  await rm(root, { recursive: true, force: true });
});
