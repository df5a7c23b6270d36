/**
 * Results independent of the split: on real Fashion-MNIST images with the native TensorFlow
 * backend, scoring (EViT) and materializing winning tickets as N workers of a job array, then
 * `mergeRun`, gives byte-identical datasets (every shard, manifest.json, errors.jsonl) to a single
 * run, for N in {1, 2, 3, 5} and a prime number of images (so no split is even).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { patchify as realPatchify } from '../../src/patchify/patchify.js';
import { mergeRun } from '../../src/pipeline/merge.js';
import { scoreSource } from '../../src/scoring/score.js';
import type { LoadedSelector } from '../../src/scoring/selector.js';
import { openSource } from '../../src/sources/open.js';
import type { ImagePayload, Source } from '../../src/sources/types.js';
import { materialize } from '../../src/tickets/materialize.js';
import { ImageError } from '../../src/util/errors.js';
import { REPO } from '../scaleout/cluster.js';
import { datasetFiles, tempDir } from '../scaleout/helpers.js';

const N_IMAGES = 307;
const patchify = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
/** Score batches of 8, worker ranges on multiples of 32 (what a pipeline with both stages uses). */
const BATCH = 8;
const ALIGN = 32;
let root: string;
let source: Source;
let selector: LoadedSelector;

/** Patchify that fails on every 53rd image, so errors.jsonl and short batches are part of the test. */
function flaky(payload: ImagePayload, config: typeof patchify): ReturnType<typeof realPatchify> {
  const at = Number(/#(\d+)$/.exec(payload.file)?.[1] ?? '0');
  if (at % 53 === 7) return Promise.reject(new ImageError('injected failure', { file: payload.file }));
  return realPatchify(payload, config);
}

before(async () => {
  const info = await initBackend({ backend: 'tensorflow' });
  assert.equal(info.backend, 'tensorflow', 'this test needs the native backend (npm run setup)');
  root = await tempDir('split');
  source = await openSource({ kind: 'idx', dir: join(REPO, 'data', 'fashion-mnist-mini'), split: 'test', limit: N_IMAGES });
  selector = { vit: ViT.init(variantConfig('vit-micro-p4-28'), 3), fingerprint: 'sha256:split-test', model: 'vit-micro-p4-28' };
});

after(async () => {
  selector.vit.dispose();
  await rm(root, { recursive: true, force: true });
});

async function runAll(out: string, worker: { index: number; count: number } | null): Promise<void> {
  const common = { source, patchify, patchifyFn: flaky };
  const eng = { progress: false, maxFailures: 10, worker, align: ALIGN };
  const scores = join(out, 'scores');
  // Three EViT chains in one pass (922-byte rows); the ticket is the r = 0.8 chain's (26 patches, 612-byte rows).
  const s = await scoreSource({ ...common, selector, mode: 'evit', params: { rate: [0.9, 0.8, 0.7] }, engine: { ...eng, batchSize: BATCH, out: scores, shardBytes: 922 * 20 } });
  await materialize({ ...common, policy: 'ticket', keepFrom: 'evit-rate', rate: 0.8, scores: s.dir, engine: { ...eng, out: join(out, 'ticket'), shardBytes: 612 * 15 } });
}

test('split invariance: N workers + merge = one run, byte for byte (score and ticket datasets, native backend, real images)', { timeout: 300_000 }, async () => {
  const single = join(root, 'single');
  await runAll(single, null);
  const expected = { scores: await datasetFiles(join(single, 'scores')), ticket: await datasetFiles(join(single, 'ticket')) };
  assert.ok(expected.scores.size > 5 && expected.ticket.size > 5, 'several shards, so workers cut some of them');
  assert.equal((await readFile(join(single, 'scores', 'errors.jsonl'), 'utf8')).trim().split('\n').length, 6);
  for (const count of [1, 2, 3, 5]) {
    const out = join(root, `w${count}`);
    for (let index = 0; index < count; index++) await runAll(out, { index, count });
    const merged = await mergeRun({ out });
    assert.equal(merged.datasets.length, 2);
    assert.deepEqual(await datasetFiles(join(out, 'scores')), expected.scores, `score dataset, ${count} workers`);
    assert.deepEqual(await datasetFiles(join(out, 'ticket')), expected.ticket, `ticket dataset, ${count} workers`);
  }
});
