/**
 * Views through the stages, on real Fashion-MNIST images with the native TensorFlow backend:
 * - K = 1 writes what no views writes, byte for byte (and test/golden pins that to the committed
 *   datasets made before views existed);
 * - view 0 of a K-view dataset is the plain image: its score rows equal the K = 1 dataset's;
 * - scoring with K views and materializing their tickets as N workers of a job array, then
 *   `mergeRun`, gives the bytes of a single run (views depend on (seed, id, view) only);
 * - the loader yields the row of the view pickView draws, checked row by row, and viewIndex 0
 *   yields the plain tickets;
 * - preview rebuilds each view's pixels from the source, equal to the kept patches;
 * - bad combinations are one error each.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { mergeRun } from '../../src/pipeline/merge.js';
import { scoreSource } from '../../src/scoring/score.js';
import type { LoadedSelector } from '../../src/scoring/selector.js';
import { openSource } from '../../src/sources/open.js';
import type { Source } from '../../src/sources/types.js';
import { materialize } from '../../src/tickets/materialize.js';
import { openDataset } from '../../src/shards/reader.js';
import { scoreRows, ticketRows } from '../../src/shards/rows.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { createScoreWriter } from '../../src/shards/writer.js';
import type { TicketRow } from '../../src/shards/types.js';
import { TicketLoader } from '../../src/loader/loader.js';
import { pickView } from '../../src/views/pick.js';
import { InputError } from '../../src/util/errors.js';
import { writePreview } from '../../src/preview/write.js';
import sharp from 'sharp';
import { REPO } from '../scaleout/cluster.js';
import { datasetFiles, tempDir } from '../scaleout/helpers.js';

const N_IMAGES = 37;
const K = 3;
const patchify = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
let root: string;
let source: Source;
let selector: LoadedSelector;

before(async () => {
  const info = await initBackend({ backend: 'tensorflow' });
  assert.equal(info.backend, 'tensorflow', 'this test needs the native backend (npm run setup)');
  root = await tempDir('views');
  source = await openSource({ kind: 'idx', dir: join(REPO, 'data', 'fashion-mnist-mini'), split: 'test', limit: N_IMAGES });
  selector = { vit: ViT.init(variantConfig('vit-micro-p4-28'), 3), fingerprint: 'sha256:views-test', model: 'vit-micro-p4-28' };
});

after(async () => {
  selector.vit.dispose();
  await rm(root, { recursive: true, force: true });
});

/** Scores (K views, or none) and materializes the EViT ticket, as one run or worker `worker`. */
async function runBoth(out: string, views: number | undefined, worker: { index: number; count: number } | null = null): Promise<void> {
  const eng = { progress: false, worker, align: 8, batchSize: 4 };
  const s = await scoreSource({ source, patchify, selector, mode: 'evit', views: views === undefined ? undefined : { count: views }, engine: { ...eng, out: join(out, 'scores'), shardBytes: 340 * 3 * 5 } });
  await materialize({ source, patchify, policy: 'ticket', keepFrom: 'evit-rate', scores: s.dir, engine: { ...eng, out: join(out, 'ticket'), shardBytes: 400 * 3 * 4 } });
}

async function allTicketRows(dir: string): Promise<TicketRow[]> {
  const out: TicketRow[] = [];
  for await (const r of ticketRows(await openDataset(dir))) out.push(r);
  return out;
}

test('views: K = 1 is no views (same bytes); view 0 of K views is the plain image; N workers + merge = one run', { timeout: 600_000 }, async () => {
  await runBoth(join(root, 'none'), undefined);
  await runBoth(join(root, 'k1'), 1);
  for (const d of ['scores', 'ticket']) assert.deepEqual(await datasetFiles(join(root, 'k1', d)), await datasetFiles(join(root, 'none', d)), `${d}: K = 1 writes what no views writes`);

  const single = join(root, 'k3');
  await runBoth(single, K);
  for (const d of ['scores', 'ticket']) {
    const v = await verifyDataset(join(single, d));
    assert.equal(v.rows, N_IMAGES * K, `${d}: K rows per image`);
    assert.ok(v.shards >= 3, `${d}: several shards, so workers cut some`);
  }
  const plain: Awaited<ReturnType<typeof scoreRows>> extends AsyncGenerator<infer R> ? R[] : never = [];
  for await (const r of scoreRows(await openDataset(join(root, 'none', 'scores')))) plain.push(r);
  let i = 0;
  for await (const r of scoreRows(await openDataset(join(single, 'scores')))) {
    const image = Math.floor(i / K);
    assert.equal(r.view?.index, i % K);
    assert.equal(r.id, plain[image].id);
    if (i % K === 0) {
      assert.deepEqual([r.scores, r.rank, r.content, r.view?.box, r.view?.flip], [plain[image].scores, plain[image].rank, plain[image].content, [0, 0, 0, 0], false], 'view 0 = the plain image');
    } else {
      assert.ok((r.view?.box[2] ?? 0) > 0, 'random views are crops');
    }
    i++;
  }
  const expected = { scores: await datasetFiles(join(single, 'scores')), ticket: await datasetFiles(join(single, 'ticket')) };
  for (const count of [2, 3]) {
    const out = join(root, `w${count}`);
    for (let index = 0; index < count; index++) await runBoth(out, K, { index, count });
    await mergeRun({ out });
    assert.deepEqual(await datasetFiles(join(out, 'scores')), expected.scores, `score dataset with views, ${count} workers`);
    assert.deepEqual(await datasetFiles(join(out, 'ticket')), expected.ticket, `ticket dataset with views, ${count} workers`);
  }
});

test('views: the loader yields, per (seed, epoch, sample), the row of the view pickView draws; viewIndex 0 the plain tickets', { timeout: 300_000 }, async () => {
  const dir = join(root, 'k3', 'ticket');
  const rows = await allTicketRows(dir);
  const byKey = new Map(rows.map((r) => [`${r.id}#${r.view}`, r]));
  const plain = new Map((await allTicketRows(join(root, 'none', 'ticket'))).map((r) => [r.id, r]));
  for (const viewIndex of [undefined, 0, 2]) {
    const loader = await TicketLoader.open([dir], { batchSize: 8, seed: 5, viewIndex });
    assert.equal(loader.rows, N_IMAGES, 'a sample is an image');
    for (const epoch of [0, 1]) {
      const seen = new Set<string>();
      for await (const b of loader.batches(epoch)) {
        for (let j = 0; j < b.size; j++) {
          const id = b.ids[j] as string;
          const v = b.views[j] as number;
          seen.add(id);
          assert.equal(v, pickView(5, epoch, id, K, viewIndex));
          const want = byKey.get(`${id}#${v}`) as TicketRow;
          assert.deepEqual(b.positions.subarray(j * want.positions.length, (j + 1) * want.positions.length), want.positions);
          assert.ok(Buffer.from(b.patches.subarray(j * want.patches.length, (j + 1) * want.patches.length)).equals(Buffer.from(want.patches)));
          if (v === 0) assert.deepEqual(want.positions, (plain.get(id) as TicketRow).positions, 'view 0 holds the plain ticket');
        }
      }
      assert.equal(seen.size, N_IMAGES, 'every image once per epoch');
    }
  }
  await assert.rejects(TicketLoader.open([dir], { viewIndex: 3 }), (e: unknown) => e instanceof InputError && /view index is 3, but the dataset holds views 0…2$/.test(e.message));
  await assert.rejects(TicketLoader.open([dir, join(root, 'none', 'ticket')]), (e: unknown) => e instanceof InputError
    && /none\/ticket\/manifest.json: has no views \(K = 1\), but the first dataset \(.*k3\/ticket\) has K = 3 \(scale 0\.08–1, ratio 0\.75–1\.333, flip 0\.5, seed 0\): datasets read together must hold the same views$/.test(e.message));
});

test('views: dlth preview shows each image as a row of its K views, each view rebuilt from the source and checked against its kept patches', async () => {
  const out = join(root, 'views.png');
  const r = await writePreview(join(root, 'k3', 'ticket'), { out, n: 3, sample: 'first', source, tileSize: 56 });
  assert.equal(r.tiles, 3 * K);
  assert.deepEqual(await sharp(out).metadata().then((m) => [m.format, m.width]), ['png', 8 + K * (56 + 8)]);
  const two = await writePreview(join(root, 'k3', 'ticket'), { out, ids: ['test/00005'], source, tileSize: 56 });
  assert.equal(two.tiles, K);
  await assert.rejects(writePreview(join(root, 'k3', 'ticket'), { out, ids: ['nope'] }), /preview: image "nope" is not in the dataset/);
  await assert.rejects(writePreview(join(root, 'none', 'ticket'), { out, ids: ['test/00005'] }), /images by id .* are for datasets with views/);
});

test('views: a score row whose recorded crop is not the one rebuilt here fails that image (all its K rows), named in errors.jsonl', async () => {
  const scores = await openDataset(join(root, 'k3', 'scores'));
  const forged = join(root, 'forged-scores');
  const w = await createScoreWriter({ dir: forged, meta: scores.meta });
  let i = 0;
  for await (const r of scoreRows(scores)) {
    if (i++ === 4 && r.view) r.view = { ...r.view, box: [r.view.box[0] + 1, r.view.box[1], r.view.box[2], r.view.box[3]] };
    await w.write(r);
  }
  await w.finalize();
  const out = join(root, 'forged-ticket');
  const m = await materialize({ source, patchify, policy: 'ticket', keepFrom: 'evit-rate', scores: forged, engine: { out, progress: false, maxFailures: 1 } });
  assert.equal(m.failures, 1);
  assert.equal(m.rows, (N_IMAGES - 1) * K, 'the image lost all its K rows, no other');
  const errors = (await readFile(join(out, 'errors.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; reason: string });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.id, 'test/00001');
  assert.match(errors[0]?.reason ?? '', /^view 1 \(crop .*\) rebuilt here differs from the score dataset's view 1 \(crop .*\): another image size or another drawing of the views$/);
  await verifyDataset(out);
});

test('views: policy oracle on a score dataset with views is refused before any work', async () => {
  await assert.rejects(
    materialize({ source, patchify, policy: 'oracle', keep: 0.5, scores: join(root, 'k3', 'scores'), masks: join(root, 'none.idx'), engine: { out: join(root, 'oracle'), progress: false } }),
    (e: unknown) => e instanceof InputError && /k3\/scores: policy oracle reads each image's own object mask/.test(e.message),
  );
});
