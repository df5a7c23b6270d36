// Regenerates docs/preview-fashion-mnist.png (not a test; run by hand):
//   node --import tsx test/preview/make-docs-sheet.ts [--epochs 10] [--out docs/preview-fashion-mnist.png]
// Trains a vit-micro-p4-28 selector briefly on the embedded Fashion-MNIST subset (train split),
// scores the test split with EViT (r = 0.7 at blocks 1, 2, 3: 49 → 35 → 25 → 18 patches), keeps
// the exact EViT tickets (k from the rate) and writes the contact sheet of the first 16 images.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { minimizeStep } from '../../src/model/train.js';
import { ViT } from '../../src/model/vit.js';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, resolvePatchifyConfig } from '../../src/patchify/config.js';
import { patchify } from '../../src/patchify/patchify.js';
import { writePreview } from '../../src/preview/write.js';
import { scoreSource } from '../../src/scoring/score.js';
import { openSource } from '../../src/sources/open.js';
import { materialize } from '../../src/tickets/materialize.js';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const epochs = Number(arg('epochs', '10'));
const out = resolve(arg('out', 'docs/preview-fashion-mnist.png'));

await initBackend();
const cfg = resolvePatchifyConfig({ imageSize: 28, patchSize: 4, channels: 1, resize: 'none', mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD });
const data = resolve('data/fashion-mnist-mini');
const train = await openSource({ kind: 'idx', dir: data, split: 'train', classes: CLASSES });
const test = await openSource({ kind: 'idx', dir: data, split: 'test', classes: CLASSES });

// all training patches in memory: 4000 × 49 × 16 bytes
const n = train.size;
const pixels = new Int32Array(n * 49 * 16);
const labels = new Int32Array(n);
for (let i = 0; i < n; i++) {
  pixels.set((await patchify(await train.load(i), cfg)).patches, i * 784);
  labels[i] = train.ref(i).label ?? 0;
}
const vit = ViT.init(variantConfig('vit-micro-p4-28', { mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD }), 0);
const opt = tf.train.adam(1e-3);
const batch = 128;
for (let e = 0; e < epochs; e++) {
  let loss = 0;
  for (let s = 0; s + batch <= n; s += batch) {
    const x = tf.tensor3d(pixels.subarray(s * 784, (s + batch) * 784), [batch, 49, 16], 'int32');
    const y = tf.tensor1d(labels.subarray(s, s + batch), 'int32');
    loss += (await minimizeStep(vit, opt, x, undefined, y)).loss;
    tf.dispose([x, y]);
  }
  process.stderr.write(`epoch ${e + 1}/${epochs}: mean loss ${(loss / Math.floor(n / batch)).toFixed(3)}\n`);
}

const dir = await mkdtemp(join(tmpdir(), 'dlth-docs-sheet-'));
try {
  const scores = join(dir, 'scores');
  const selector = { vit, fingerprint: 'trained:vit-micro-p4-28:docs-sheet', model: 'vit-micro-p4-28' };
  await scoreSource({ source: test, patchify: cfg, selector, mode: 'evit', params: { rate: 0.7 }, split: 'test', engine: { out: scores } });
  const tickets = join(dir, 'ticket@evit-0.7');
  const m = await materialize({ source: test, patchify: cfg, policy: 'ticket', keepFrom: 'evit-rate', scores, split: 'test', engine: { out: tickets } });
  const k = m.manifest.meta.k;
  const r = await writePreview(tickets, { n: 16, out, name: 'fashion-mnist test' });
  process.stderr.write(`wrote ${r.file} (${r.width}×${r.height}, k = ${k} of 49)\n`);
} finally {
  vit.dispose();
  opt.dispose();
  await rm(dir, { recursive: true, force: true });
}
