// Decode + patchify cost per image in CPU time, so the README can say how many cores feed a GPU:
//   node --import tsx bench/patchify-cpu.ts [--images 300] [--concurrency 1]
// Real photos (the fixture JPEGs, resized to 500×375 — about ImageNet's typical size — and
// re-encoded at quality 90, in memory), decoded, DeiT resize + centre crop to 224, 16×16 patches
// (RGB), one libvips thread per image, `concurrency` images in flight. CPU time is the process's
// (libuv's decoding threads included), so the figure holds on a loaded machine where wall time does
// not. Peer: sharp's bare decode + resize to 224 on the same files, same accounting.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { configureDecoder } from '../src/patchify/decode.js';
import { patchify } from '../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../src/patchify/config.js';
import type { ImagePayload } from '../src/sources/types.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const images = arg('images', 300);
const concurrency = arg('concurrency', 1);
const TARGET = 2000; // img/s, the GPU goal for deit-small

const sources = ['test/fixtures/images/chelsea-150x100.jpg', 'test/fixtures/images/coffee-192x128.jpg'];
const jpegs = await Promise.all(sources.map((f) => sharp(readFileSync(f)).resize(500, 375, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer()));
const payloads: ImagePayload[] = Array.from({ length: images }, (_, i) => ({ kind: 'encoded', file: `photo-${i}.jpg`, bytes: jpegs[i % jpegs.length] }));

/** `work` over `items`, `concurrency` at a time. */
async function mapConcurrent(items: ImagePayload[], n: number, work: (p: ImagePayload) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}
configureDecoder({ threadsPerImage: 1 });
const cfg = resolvePatchifyConfig({ imageSize: 224, patchSize: 16 });

interface Cost {
  wallPerSec: number;
  perCpuSecond: number;
}

async function measure(work: (p: ImagePayload) => Promise<unknown>): Promise<Cost> {
  await mapConcurrent(payloads.slice(0, 20), concurrency, work); // warm-up
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await mapConcurrent(payloads, concurrency, work);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { wallPerSec: images / wall, perCpuSecond: images / ((cpu.user + cpu.system) / 1e6) };
}

const ours = await measure((p) => patchify(p, cfg));
const bare = await measure((p) => sharp(p.kind === 'encoded' ? p.bytes : new Uint8Array()).resize(224, 224).raw().toBuffer());
const f = (v: number): string => v.toFixed(0).padStart(6);
process.stdout.write(`bench/patchify-cpu: ${images} photos 500×375 q90 → 224/16 RGB, concurrency ${concurrency}, `
  + `${availableParallelism()} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}\n`);
process.stdout.write(`  dlth patchify        ${f(ours.perCpuSecond)} img per CPU-second   (${f(ours.wallPerSec)} img/s wall)\n`);
process.stdout.write(`  bare sharp resize    ${f(bare.perCpuSecond)} img per CPU-second   (${f(bare.wallPerSec)} img/s wall)\n`);
process.stdout.write(`  ratio                ${(ours.perCpuSecond / bare.perCpuSecond).toFixed(2).padStart(6)}\n`);
process.stdout.write(`  cores for ${TARGET} img/s: ${(TARGET / ours.perCpuSecond).toFixed(1)} busy with decoding alone `
  + `(libuv runs at most UV_THREADPOOL_SIZE decodes at once)\n`);
