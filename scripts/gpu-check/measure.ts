/**
 * The Node side of scripts/gpu-check.sh (read that first). One subcommand per step, each writing
 * one JSON file:
 *   measure parity  --backend webgpu --ref cpu --models deit-tiny,deit-small --images a.jpg,b.jpg --out f.json
 *   measure forward --backend webgpu --models deit-small,deit-base --batches 64,256 --seconds 8 --out f.json
 *   measure jpegs   --n 2048 --dir DIR
 * Models are DeiT variants with seed-1 random weights (`deit-small` = deit-small-patch16-224); EViT
 * at rate 0.7, blocks 3/6/9. Bundled by scripts/gpu-check/pack.sh into one file for the device.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { type BackendName } from '../../src/backend/types.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { patchify } from '../../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { prepareMode } from '../../src/scoring/modes/index.js';
import type { PatchRanking } from '../../src/scoring/select.js';

const RATE = 0.7;
const args = process.argv.slice(3);
const flag = (name: string, fallback?: string): string => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : fallback;
  if (v === undefined) throw new Error(`measure ${process.argv[2]}: --${name} is required`);
  return v;
};
const list = (name: string, fallback?: string): string[] => flag(name, fallback).split(',').filter(Boolean);
const variant = (m: string): string => (m.includes('patch') ? m : `${m}-patch16-224`);
const write = (file: string, value: unknown): void => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

async function backend(name: string): Promise<Record<string, unknown>> {
  const info = await initBackend({ backend: name as BackendName });
  return { backend: info.backend, gpu: info.gpu, adapter: info.adapter, nativeVersion: info.nativeVersion, threads: info.threads };
}

async function evit(model: string, x: Int32Array, n: number): Promise<PatchRanking[]> {
  const vit = ViT.init(variantConfig(variant(model)), 1);
  const input = tf.tensor3d(x, [n, 196, 768], 'int32');
  try {
    return await prepareMode('evit', vit, { rate: RATE }).score(input);
  } finally {
    input.dispose();
    vit.dispose();
  }
}

/** Scores and tickets of `--backend` against `--ref`, per model and image. */
async function parity(): Promise<void> {
  const files = list('images');
  const cfg = resolvePatchifyConfig({ imageSize: 224, patchSize: 16 });
  const x = new Int32Array(files.length * 196 * 768);
  for (const [i, f] of files.entries()) x.set((await patchify({ kind: 'encoded', file: f, bytes: readFileSync(f) }, cfg)).patches, i * 196 * 768);
  const out: Record<string, unknown>[] = [];
  const [gotInfo, refInfo] = [await backend(flag('backend')), await backend(flag('ref'))];
  for (const model of list('models')) {
    await initBackend({ backend: flag('ref') as BackendName });
    const want = await evit(model, x, files.length);
    await initBackend({ backend: flag('backend') as BackendName });
    const got = await evit(model, x, files.length);
    out.push(...files.map((file, i) => ({ model, file, ...compare(got[i], want[i]) })));
  }
  const worst = Math.max(...out.map((r) => r.worstRelative as number));
  const clear = out.reduce((s, r) => s + (r.clearTicketDifferences as number), 0);
  write(flag('out'), { backend: gotInfo, reference: refInfo, rate: RATE, worstRelative: worst, clearTicketDifferences: clear,
    pass: worst <= 1e-3 && clear === 0, images: out });
}

/** Worst relative score difference; ticket patches that differ, and those not explained by a near-tie (1e-3). */
function compare(g: PatchRanking, w: PatchRanking): Record<string, number> {
  let worst = 0;
  for (let p = 0; p < w.scores.length; p++) worst = Math.max(worst, Math.abs(g.scores[p] - w.scores[p]) / Math.max(Math.abs(w.scores[p]), 1e-12));
  const inW = new Set(w.rank.subarray(0, w.survivors));
  const cut = w.scores[w.rank[w.survivors - 1]];
  const diff = Array.from(g.rank.subarray(0, g.survivors)).filter((p) => !inW.has(p));
  const clear = diff.filter((p) => Math.abs(g.scores[p] - cut) > 1e-3 * cut).length;
  return { worstRelative: worst, ticketDifferences: diff.length, clearTicketDifferences: clear, survivors: g.survivors };
}

/** EViT scoring of a ready [B, 196, 768] tensor: first call (warm-up: kernel compilation) timed apart. */
async function forward(): Promise<void> {
  const info = await backend(flag('backend'));
  const seconds = Number(flag('seconds', '8'));
  const rows: Record<string, unknown>[] = [];
  for (const model of list('models')) {
    const vit = ViT.init(variantConfig(variant(model)), 1);
    const mode = prepareMode('evit', vit, { rate: RATE });
    for (const batch of list('batches').map(Number)) {
      const x = tf.tidy(() => tf.randomUniform([batch, 196, 768], 0, 256, 'int32') as tf.Tensor3D);
      const t0 = performance.now();
      await mode.score(x);
      const warmupMs = performance.now() - t0;
      let iters = 0;
      const t1 = performance.now();
      while (iters < 2 || (performance.now() - t1 < seconds * 1000 && iters < 200)) {
        await mode.score(x);
        iters++;
      }
      const perIterMs = (performance.now() - t1) / iters;
      x.dispose();
      rows.push({ model: variant(model), batch, warmupMs, iters, perIterMs, imagesPerSec: (batch * 1000) / perIterMs });
      write(flag('out'), { backend: info, rate: RATE, rows }); // kept if a later row times out
      process.stderr.write(`forward ${variant(model)} batch ${batch}: ${((batch * 1000) / perIterMs).toFixed(1)} img/s (warm-up ${warmupMs.toFixed(0)} ms)\n`);
    }
    vit.dispose();
  }
}

/** N smooth synthetic 320×280 JPEGs (quality 90) in two class folders, written concurrently. */
async function jpegs(): Promise<void> {
  const n = Number(flag('n'));
  const dir = flag('dir');
  for (const cls of ['a', 'b']) mkdirSync(join(dir, cls), { recursive: true });
  const [w, h] = [320, 280];
  let next = 0;
  const one = async (i: number): Promise<void> => {
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        px[o] = (x + i * 7) & 255;
        px[o + 1] = (y * 2 + i) & 255;
        px[o + 2] = Math.round(255 * Math.exp(-((x - 40 - ((i * 37) % 240)) ** 2 + (y - 40 - ((i * 53) % 200)) ** 2) / 2000));
      }
    }
    const file = join(dir, i % 2 ? 'b' : 'a', `img-${String(i).padStart(6, '0')}.jpg`);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
  };
  const workers = Array.from({ length: availableParallelism() }, async () => {
    while (next < n) await one(next++);
  });
  await Promise.all(workers);
}

const commands: Record<string, () => Promise<void>> = { parity, forward, jpegs };
const run = commands[process.argv[2] ?? ''];
if (!run) {
  process.stderr.write(`usage: measure ${Object.keys(commands).join('|')} [flags] (see the header of scripts/gpu-check/measure.ts)\n`);
  process.exit(2);
}
await run();
process.exit(0);
