/**
 * Stage reuse trusts outputs, not markers: a finished stage whose dataset lost its manifest or had
 * a shard changed runs again; writing another configuration into a finished dataset never removes
 * the old one before the new one is complete (an interrupted or killed overwrite leaves it intact).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { patchify as realPatchify } from '../../src/patchify/patchify.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { openSource } from '../../src/sources/open.js';
import type { Source } from '../../src/sources/types.js';
import { materialize } from '../../src/tickets/materialize.js';
import { ImageError } from '../../src/util/errors.js';
import { REPO } from '../scaleout/cluster.js';
import { tempDir } from '../scaleout/helpers.js';

const MINI = join(REPO, 'data', 'fashion-mnist-mini');
const PATCHIFY = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none' });

/** The first `limit` training images of the embedded Fashion-MNIST, 28×28 in patches of 4. */
async function mini(limit: number): Promise<{ source: Source; patchify: typeof PATCHIFY }> {
  return { source: await openSource({ kind: 'idx', dir: MINI, split: 'train', limit }), patchify: PATCHIFY };
}

async function pipelineFile(dir: string, seed: number): Promise<string> {
  const file = join(dir, 'p.json');
  await writeFile(file, JSON.stringify({
    name: 'reuse', seed, shardBytes: 65536,
    sources: { train: { kind: 'idx', dir: MINI, split: 'train', limit: 300 } },
    patchify: { imageSize: 28, patchSize: 4, channels: 1, resize: 'none' },
    stages: [{ kind: 'materialize', name: 'random', policy: 'random', keep: 0.5, sources: ['train'], preview: false }],
  }));
  return file;
}

test('runner: a finished stage whose dataset lost its manifest, or had a shard changed, runs again', { timeout: 120_000 }, async () => {
  const root = await tempDir('reuse');
  const out = join(root, 'run');
  const loaded = await loadPipeline(await pipelineFile(root, 0));
  const logs: string[] = [];
  const run = () => runPipeline(loaded, { out, quiet: true, log: (m) => logs.push(m) });
  await run();
  const ds = join(out, 'datasets', 'random', 'train');
  const manifest = await readFile(join(ds, 'manifest.json'), 'utf8');
  await run();
  assert.match(logs.join('\n'), /up to date/);
  await rm(join(ds, 'manifest.json'));
  logs.length = 0;
  await run();
  assert.match(logs.join('\n'), /finished before, but datasets\/random\/train has no valid manifest: running it again/);
  assert.equal(await readFile(join(ds, 'manifest.json'), 'utf8'), manifest);
  const shard = join(ds, 'shard-00001.arrow');
  const bytes = await readFile(shard);
  bytes[bytes.length - 30] ^= 0xff;
  await rm(shard);
  await writeFile(shard, bytes);
  logs.length = 0;
  await run();
  assert.match(logs.join('\n'), /a shard of datasets\/random\/train changed: running it again/);
  assert.equal((await verifyDataset(ds)).rows, 300);
  assert.equal(await readFile(join(ds, 'manifest.json'), 'utf8'), manifest);
  await rm(root, { recursive: true, force: true });
});

test('overwrite: another configuration into a finished dataset keeps the old one until the new one is complete', { timeout: 120_000 }, async () => {
  const root = await tempDir('overwrite');
  const out = join(root, 'ds');
  const { source, patchify } = await mini(200);
  const common = { source, patchify };
  const eng = { progress: false, shardBytes: 16384, out };
  await materialize({ ...common, policy: 'random', keep: 0.5, seed: 1, engine: eng });
  const manifest = await readFile(join(out, 'manifest.json'), 'utf8');
  // The new configuration fails half-way (here: every image after the 120th is undecodable).
  const failing = (payload: Parameters<typeof realPatchify>[0], config: typeof patchify) =>
    Number(/#(\d+)$/.exec(payload.file)?.[1] ?? '0') > 120 ? Promise.reject(new ImageError('broken', { file: payload.file })) : realPatchify(payload, config);
  await assert.rejects(materialize({ ...common, policy: 'random', keep: 0.5, seed: 2, patchifyFn: failing, engine: { ...eng, force: true } }), /samples failed/);
  assert.equal(await readFile(join(out, 'manifest.json'), 'utf8'), manifest, 'the old dataset is intact');
  assert.equal((await verifyDataset(out)).rows, 200);
  // A process killed mid-overwrite leaves its half-built `.ds.new-<pid>` (and maybe `.ds.old-<pid>`): the next writer cleans up.
  await mkdir(join(root, '.ds.new-999999999'));
  await writeFile(join(root, '.ds.new-999999999', 'shard-00000.arrow'), 'partial');
  const done = await materialize({ ...common, policy: 'random', keep: 0.5, seed: 2, engine: { ...eng, force: true } });
  assert.equal(done.rows, 200);
  assert.notEqual(await readFile(join(out, 'manifest.json'), 'utf8'), manifest);
  assert.deepEqual((await readdir(root)).sort(), ['ds']);
  // Killed between the two renames of the swap: the dataset is back at its name.
  await rename(out, join(root, '.ds.old-999999999'));
  const again = await materialize({ ...common, policy: 'random', keep: 0.5, seed: 2, engine: eng });
  assert.equal(again.upToDate, true, 'the moved-aside dataset was restored and reused');
  await rm(root, { recursive: true, force: true });
});

test('reuse: a dataset whose writer was killed after its manifest (journal and temp left) is reused and cleaned', { timeout: 60_000 }, async () => {
  const root = await tempDir('scratch');
  const out = join(root, 'ds');
  const { source, patchify } = await mini(50);
  await materialize({ source, patchify, policy: 'full', engine: { out, progress: false } });
  await writeFile(join(out, '.dlth-journal.json'), '{"key":"x","shards":{}}');
  await writeFile(join(out, '.shard-00000.arrow.tmp-999999999'), 'partial');
  const again = await materialize({ source, patchify, policy: 'full', engine: { out, progress: false } });
  assert.equal(again.upToDate, true);
  assert.deepEqual((await readdir(out)).sort(), ['errors.jsonl', 'manifest.json', 'shard-00000.arrow']);
  await rm(root, { recursive: true, force: true });
});
