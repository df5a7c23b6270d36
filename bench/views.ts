/**
 * Views (docs/augment.md, "Costs"): bytes per image and per view of score and ticket datasets, and
 * the time per image and per view of decoding, scoring and materializing.
 * - default: K = 1, 2, 4, 8 on 512 Fashion-MNIST training images (28×28, patch 4), with the quick
 *   pipeline's selector vit-micro-p4-28, EViT r = 0.8;
 * - `--photos DIR`: K = 1 and 4 on the photos of an image folder (class folders; every image
 *   counts), RGB at 224/16 (resize + centre crop) with deit-tiny-patch16-224, EViT r = 0.7, batch 8.
 * Selectors have random weights: their cost does not depend on them. No peer: views have none to
 * compare with. Run from the repository root (niced on a shared machine):
 *   TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 nice -n 19 node --import tsx bench/views.ts [--photos DIR] [outDir]
 * Prints one JSON line per (K, repetition).
 */
import { rm } from 'node:fs/promises';
import { initBackend } from '../src/backend/init.js';
import { variantConfig } from '../src/model/configs.js';
import { ViT } from '../src/model/vit.js';
import { resolvePatchifyConfig } from '../src/patchify/config.js';
import { scoreSource } from '../src/scoring/score.js';
import { materialize } from '../src/tickets/materialize.js';
import { openSource } from '../src/sources/open.js';
import { patchifyViews } from '../src/patchify/views.js';
import { resolveViews } from '../src/views/spec.js';
const args = process.argv.slice(2);
const photoAt = args.indexOf('--photos');
const photos = photoAt >= 0 ? args.splice(photoAt, 2)[1] : undefined;
const OUT = args[0] ?? '/tmp/dlth-bench-views';
await initBackend({ backend: 'tensorflow' });
const patchify = photos
  ? resolvePatchifyConfig({ imageSize: [224, 224], patchSize: 16, channels: 3 })
  : resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
const source = photos
  ? await openSource({ kind: 'imagefolder', root: photos })
  : await openSource({ kind: 'idx', dir: 'data/fashion-mnist-mini', split: 'train', limit: 512 });
const N = source.size;
const model = photos ? 'deit-tiny-patch16-224' : 'vit-micro-p4-28';
const rate = photos ? 0.7 : 0.8;
const batchSize = photos ? 8 : 32;
const Ks = photos ? [1, 4] : [1, 2, 4, 8];
const selector = { vit: ViT.init(variantConfig(model), 0), fingerprint: 'sha256:measure', model };
console.log(JSON.stringify({ model, images: N, imageSize: patchify.imageSize, patchSize: patchify.patchSize, rate, batchSize }));
const results = [];
// warm-up (TensorFlow kernels, sharp)
await scoreSource({ source, patchify, selector, mode: 'evit', params: { rate }, views: { count: 2 }, engine: { out: `${OUT}/warm`, progress: false, batchSize, force: true, concurrency: 1 } });
for (const K of Ks) {
  for (let rep = 0; rep < 3; rep++) {
    await rm(`${OUT}/scores-k${K}`, { recursive: true, force: true });
    await rm(`${OUT}/ticket-k${K}`, { recursive: true, force: true });
    const views = K > 1 ? { count: K } : undefined;
    // decode only (patchify of all views)
    const vm = resolveViews(views);
    let t = performance.now();
    for (let i = 0; i < N; i++) await patchifyViews(await source.load(i), patchify, source.ref(i).id, vm);
    const decodeMs = performance.now() - t;
    t = performance.now();
    const s = await scoreSource({ source, patchify, selector, mode: 'evit', params: { rate }, views, engine: { out: `${OUT}/scores-k${K}`, progress: false, batchSize, force: true, concurrency: 1 } });
    const scoreMs = performance.now() - t;
    t = performance.now();
    const m = await materialize({ source, patchify, policy: 'ticket', keepFrom: 'evit-rate', scores: s.dir, engine: { out: `${OUT}/ticket-k${K}`, progress: false, force: true, concurrency: 1 } });
    const matMs = performance.now() - t;
    results.push({ K, rep, rows: s.rows, scoreBytes: s.bytes, ticketBytes: m.bytes, decodeMs, scoreMs, matMs });
    console.log(JSON.stringify(results.at(-1)));
  }
}
selector.vit.dispose();
