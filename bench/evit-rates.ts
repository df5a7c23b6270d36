// The cost of each added EViT rate when the chains share one pass (evitChains) vs separate passes.
//   node --import tsx bench/evit-rates.ts [--batch 16] [--iters 3]   (native TensorFlow, deit-small 224)
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { variantConfig, ViT } from '../src/model/index.js';
import { evitChains } from '../src/scoring/modes/evit.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const batch = arg('--batch', 16);
const iters = arg('--iters', 3);
await initBackend({ backend: 'tensorflow' });
const vit = ViT.init(variantConfig('deit-small-patch16-224'), 0);
const x = tf.tensor3d(Int32Array.from({ length: batch * 196 * 768 }, (_, i) => (i * 2654435761) % 251), [batch, 196, 768], 'int32');

async function best(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  let t = Infinity;
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t / batch;
}

const rates = [0.9, 0.8, 0.7];
const one = await best(() => evitChains(vit, x, [0.7]));
const shared = await best(() => evitChains(vit, x, rates));
const separate = await best(async () => {
  for (const r of rates) await evitChains(vit, x, [r]);
});
console.log(`deit-small 224, batch ${batch}, blocks 3/6/9, ms per image (best of ${iters}):`);
console.log(`  one rate (0.7)              ${one.toFixed(1)}`);
console.log(`  three rates, one pass       ${shared.toFixed(1)}  (+${((shared - one) / 2).toFixed(1)} per added rate, ${((shared - one) / 2 / one * 100).toFixed(0)}% of one)`);
console.log(`  three rates, three passes   ${separate.toFixed(1)}  (one pass saves ${((1 - shared / separate) * 100).toFixed(0)}%)`);
x.dispose();
vit.dispose();
