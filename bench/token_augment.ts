/**
 * Token augmentations (src/loader/augment/tokens.ts): ms per batch of 64 rows of 224/16 RGB tickets
 * at k = 98 (75 KiB of patches per row), for each augmentation alone and all together, median of 7
 * repetitions of 5 batches (each a different epoch). bench/token_augment.py times the Python package
 * on the same batches. Usage: node --import tsx bench/token_augment.ts
 */
import { cpus, loadavg } from 'node:os';
import { augmentBatch, augmentPlan, resolveTokenAugment, type TokenAugmentOptions } from '../src/loader/augment/tokens.js';
import { Rng } from '../src/loader/rng.js';

const meta = { patchSize: 16, channels: 3, grid: [14, 14], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], numClasses: 1000 };
const [B, k] = [64, 98];
const R = k * 16 * 16 * 3;
const rng = new Rng(1);
const original = Uint8Array.from({ length: B * R }, () => rng.next() & 255);
const positions = new Uint16Array(B * k);
for (let i = 0; i < B; i++) for (let j = 0; j < k; j++) positions[i * k + j] = j * 2;
const labels = Int32Array.from({ length: B }, (_, i) => i % 1000);
const ids = Array.from({ length: B }, (_, i) => `s${i}`);

export const CONFIGS: [string, TokenAugmentOptions][] = [
  ['colour jitter 0.4', { colorJitter: 0.4 }],
  ['erasing 0.25, pixel', { reprob: 0.25 }],
  ['mixup 0.8 + cutmix 1.0', { mixupAlpha: 0.8, cutmixAlpha: 1 }],
  ['all of them', { colorJitter: 0.4, reprob: 0.25, mixupAlpha: 0.8, cutmixAlpha: 1 }],
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

console.log(`${cpus()[0]?.model ?? '?'}, ${cpus().length} CPU(s), load ${loadavg()[0].toFixed(2)}`);
for (const [name, options] of CONFIGS) {
  const plan = augmentPlan(resolveTokenAugment(options), meta);
  const [scratch, targets] = [new Uint8Array(B * R), new Float32Array(B * 1000)];
  const times: number[] = [];
  for (let rep = 0; rep < 8; rep++) {
    const t0 = performance.now();
    for (let e = 0; e < 5; e++) augmentBatch(plan, { size: B, k, patches: original.slice(), positions, labels, ids }, 0, rep * 5 + e, scratch, targets);
    if (rep > 0) times.push((performance.now() - t0) / 5); // the first repetition warms the JIT
  }
  console.log(`${name.padEnd(24)} ${median(times).toFixed(1).padStart(7)} ms per batch of ${B}`);
}
