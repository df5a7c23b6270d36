/**
 * The golden datasets: one of each kind (full, random, ticket, score), six real Fashion-MNIST test
 * images, written by today's code into test/fixtures/golden/. test/golden/golden.test.ts rewrites
 * them into a temporary directory and compares every byte; a change of the format (or of what the
 * stages write) is therefore always deliberate: regenerate with
 *   node --import tsx test/golden/make.ts --write
 * and say why in the commit. Scores come from the pure-JS `cpu` backend (the same bits on every machine).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { scoreSource } from '../../src/scoring/score.js';
import { openSource } from '../../src/sources/open.js';
import { materialize } from '../../src/tickets/materialize.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
export const GOLDEN_KINDS = ['full', 'random', 'ticket', 'scores'] as const;
const MINI = fileURLToPath(new URL('../../data/fashion-mnist-mini/', import.meta.url));

/** Writes the four golden datasets into `out/<kind>/`. */
export async function makeGolden(out: string): Promise<void> {
  await initBackend({ backend: 'cpu' });
  const source = await openSource({ kind: 'idx', dir: MINI, split: 'test', limit: 6 });
  const patchify = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 7, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
  // Three rows per shard, record batches of two: every shard has a full and a short batch.
  const common = { source, patchify };
  const eng = { progress: false, shardBytes: 3000, batchBytes: 2000 };
  const vit = ViT.init({ ...variantConfig('vit-micro-p4-28'), patchSize: 7 }, 7);
  try {
    await scoreSource({ ...common, selector: { vit, fingerprint: 'sha256:golden', model: 'vit-micro-p7-28' }, mode: 'evit', params: { rate: [0.7, 0.9] }, engine: { ...eng, batchSize: 4, out: join(out, 'scores'), shardBytes: 450, batchBytes: 300 } });
  } finally {
    vit.dispose();
  }
  await materialize({ ...common, policy: 'full', engine: { ...eng, out: join(out, 'full') } });
  const half = { shardBytes: 1500, batchBytes: 1000 };
  await materialize({ ...common, policy: 'random', keep: 0.5, seed: 3, engine: { ...eng, ...half, out: join(out, 'random') } });
  // The r = 0.9 chain of the two-rate score dataset: its survivors (16 → 15 → 14 → 13 patches), exactly.
  await materialize({ ...common, policy: 'ticket', keepFrom: 'evit-rate', rate: 0.9, scores: join(out, 'scores'), engine: { ...eng, ...half, out: join(out, 'ticket') } });
}

if (process.argv.includes('--write')) {
  for (const kind of GOLDEN_KINDS) await rm(join(GOLDEN_DIR, kind), { recursive: true, force: true });
  await makeGolden(GOLDEN_DIR);
  process.stdout.write(`golden datasets written to ${GOLDEN_DIR}\n`);
}
