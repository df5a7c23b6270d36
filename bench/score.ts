// Scoring throughput end to end beside the model's bare forward, in the same run:
//   node --import tsx bench/score.ts [--images 128] [--batch 32] [--iters 2] [--backend tensorflow]
// - e2e: `scoreSource` over an imagefolder of synthetic 320×280 JPEGs → decode, DeiT resize and
//   centre crop to 224, patchify 16 → EViT (r 0.7 at blocks 3, 6, 9) on deit-small-patch16-224
//   with random weights → score shards on disk;
// - bare forward: `vit.forward` of deit-small on a ready [batch, 196, 768] tensor (all 12 blocks);
// - mode compute: the evit mode on a ready tensor (blocks 0–9 with pruning, host selection): the
//   same compute as e2e without decoding and writing, so e2e / compute is the pipeline's overhead.
// - rates: `scoreSource` end to end at rate 0.7, at [0.9, 0.7] and at [0.9, 0.8, 0.7] (one chain
//   per rate on each decoded batch, all stored), against three single-rate runs (what one score
//   stage per rate costs): the cost of each added rate.
// Goal: e2e ≥ 85% of the bare forward (decoding fully overlapped with compute).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/init.js';
import { variantConfig } from '../src/model/configs.js';
import { ViT } from '../src/model/vit.js';
import { resolvePatchifyConfig } from '../src/patchify/config.js';
import { prepareMode } from '../src/scoring/modes/index.js';
import { scoreSource } from '../src/scoring/score.js';
import { openSource } from '../src/sources/open.js';
import type { BackendName } from '../src/backend/types.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const images = Number(arg('images', '128'));
const batch = Number(arg('batch', '32'));
const iters = Number(arg('iters', '2'));
const backend = arg('backend', 'tensorflow') as BackendName;

/** Smooth synthetic photos (gradients + blobs), JPEG quality 90, two classes. */
async function writeImages(root: string): Promise<void> {
  for (const cls of ['a', 'b']) await mkdir(join(root, cls), { recursive: true });
  const w = 320;
  const h = 280;
  for (let i = 0; i < images; i++) {
    const px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const blob = Math.exp(-((x - 40 - (i * 37) % 240) ** 2 + (y - 40 - (i * 53) % 200) ** 2) / 2000);
        px[o] = (x + i * 7) & 255;
        px[o + 1] = (y * 2 + i) & 255;
        px[o + 2] = Math.min(255, Math.round(255 * blob));
      }
    }
    const file = join(root, i % 2 ? 'b' : 'a', `img-${String(i).padStart(5, '0')}.jpg`);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await fn();
  return (performance.now() - t0) / 1000 / iters;
}

const info = await initBackend({ backend });
const dir = await mkdtemp(join(tmpdir(), 'dlth-bench-score-'));
try {
  await writeImages(join(dir, 'images'));
  const vit = ViT.init(variantConfig('deit-small-patch16-224'), 0);
  const x = tf.randomUniform([batch, 196, 768], 0, 256, 'int32') as tf.Tensor3D;
  const bare = batch / (await timed(async () => {
    const r = vit.forward(x);
    await r.logits.data();
    r.logits.dispose();
  }));
  const mode = prepareMode('evit', vit, { rate: 0.7 });
  const compute = batch / (await timed(async () => void (await mode.score(x))));
  x.dispose();

  const source = await openSource({ kind: 'imagefolder', root: join(dir, 'images') });
  const patchify = resolvePatchifyConfig({ imageSize: 224, patchSize: 16, channels: 3, resize: 'deit' });
  const selector = { vit, fingerprint: 'random:deit-small-patch16-224:0', model: 'deit-small-patch16-224' };
  let n = 0;
  const run = (rate: number | number[] = 0.7) => scoreSource({
    source,
    patchify,
    selector,
    mode: 'evit',
    params: { rate },
    engine: { batchSize: batch, out: join(dir, `scores-${n++}`), progress: false },
  });
  await run(); // warm-up (kernels, decoder)
  /** Seconds per image of `rate`'s scoring run, averaged over iters. */
  const secPerImage = async (rate: number | number[]): Promise<number> => {
    let s = 0;
    for (let i = 0; i < iters; i++) s += 1 / (await run(rate)).imagesPerSec / iters;
    return s;
  };
  const e2e = 1 / (await secPerImage(0.7));
  const two = await secPerImage([0.9, 0.7]);
  const three = await secPerImage([0.9, 0.8, 0.7]);
  const separate = 1 / e2e + (await secPerImage(0.9)) + (await secPerImage(0.8));
  vit.dispose();

  const f = (v: number): string => v.toFixed(1).padStart(8);
  process.stdout.write(`bench/score: deit-small-patch16-224 (random weights), ${images} JPEGs 320×280 → 224/16, batch ${batch}, `
    + `evit r=0.7 blocks 3,6,9, backend ${info.backend} (${info.threads} threads)\n`);
  process.stdout.write(`  bare forward (12 blocks)     ${f(bare)} img/s\n`);
  process.stdout.write(`  evit compute (ready tensor)  ${f(compute)} img/s\n`);
  process.stdout.write(`  dlth score end to end        ${f(e2e)} img/s\n`);
  process.stdout.write(`  end to end / bare forward    ${(e2e / bare).toFixed(2).padStart(8)}   (goal ≥ 0.85)\n`);
  process.stdout.write(`  end to end / evit compute    ${(e2e / compute).toFixed(2).padStart(8)}   (pipeline overhead: decode, write)\n`);
  const ms = (v: number): string => (v * 1000).toFixed(1).padStart(8);
  const one = 1 / e2e;
  process.stdout.write('  EViT rates, end to end (ms per image):\n');
  process.stdout.write(`    rate 0.7                   ${ms(one)}\n`);
  process.stdout.write(`    rates 0.9,0.7 (one pass)   ${ms(two)}   +${((two - one) / one * 100).toFixed(0)}% for the added rate\n`);
  process.stdout.write(`    rates 0.9,0.8,0.7          ${ms(three)}   +${((three - one) / 2 / one * 100).toFixed(0)}% per added rate\n`);
  process.stdout.write(`    three single-rate runs     ${ms(separate)}   (one pass saves ${((1 - three / separate) * 100).toFixed(0)}%)\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
