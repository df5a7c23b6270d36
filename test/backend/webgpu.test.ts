/**
 * The webgpu backend (tfjs-backend-webgpu on Dawn) against the native backend (or the cpu backend
 * where the native binding is not built): EViT scores of a DeiT-tiny-shaped selector (random
 * weights) on real JPEGs agree within 1e-3 relative, and the tickets are the same except where two
 * patches' scores are a near-tie (closer than the tolerance), which may swap places.
 * On a CPU machine it runs on Mesa's lavapipe (`bash scripts/setup-webgpu.sh`); skipped, with the
 * reason, when Dawn finds no adapter.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

// Before Dawn is loaded: point the Vulkan loader at the software device when set-up made one.
const LVP = resolve('.cache/vulkan/lvp_icd.json');
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(LVP)) process.env.VK_ICD_FILENAMES = LVP;

import { initBackend } from '../../src/backend/init.js';
import { loadWebGpu } from '../../src/backend/webgpu.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { patchify } from '../../src/patchify/patchify.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { prepareMode } from '../../src/scoring/modes/index.js';
import type { PatchRanking } from '../../src/scoring/select.js';
import { clearTicketDifferences, nativeBuilt, ticketDifference, worstRelative } from './helpers.js';

const RTOL = 1e-3;
const IMAGES = ['test/fixtures/images/chelsea-150x100.jpg', 'test/fixtures/images/coffee-192x128.jpg'];
const load = await loadWebGpu();
const skip = load.ok ? false : `webgpu unavailable: ${load.reason}`;
const reference = nativeBuilt() ? 'tensorflow' : 'cpu';

let x: Int32Array;

before(async () => {
  const cfg = resolvePatchifyConfig({ imageSize: 224, patchSize: 16 });
  const grids = await Promise.all(IMAGES.map((f) => patchify({ kind: 'encoded', file: f, bytes: readFileSync(f) }, cfg)));
  x = new Int32Array(grids.length * 196 * 768);
  grids.forEach((g, i) => x.set(g.patches, i * 196 * 768));
});

/** EViT (rate 0.7, blocks 3/6/9) of a DeiT-tiny with seed-1 random weights, on `backend`. */
async function evit(backend: 'webgpu' | 'tensorflow' | 'cpu'): Promise<PatchRanking[]> {
  await initBackend({ backend });
  assert.equal(tf.getBackend(), backend);
  const model = ViT.init(variantConfig('deit-tiny-patch16-224'), 1);
  const input = tf.tensor3d(x, [IMAGES.length, 196, 768], 'int32');
  try {
    return await prepareMode('evit', model, { rate: 0.7 }).score(input);
  } finally {
    input.dispose();
    model.dispose();
  }
}

test(`webgpu EViT scores match ${reference} within ${RTOL} relative; tickets equal up to near-ties`, { skip }, async (t) => {
  const want = await evit(reference);
  const got = await evit('webgpu');
  for (let i = 0; i < IMAGES.length; i++) {
    const [g, w] = [got[i], want[i]];
    assert.equal(g.survivors, w.survivors);
    const worst = worstRelative(g, w);
    t.diagnostic(`${IMAGES[i]}: worst relative difference ${worst.toExponential(2)}, ${ticketDifference(g, w)} ticket patches differ`);
    assert.ok(worst <= RTOL, `${IMAGES[i]}: worst relative score difference ${worst.toExponential(2)}`);
    assert.deepEqual(clearTicketDifferences(g, w, RTOL), [], `${IMAGES[i]}: webgpu keeps patches ${reference} clearly drops`);
    assert.deepEqual(clearTicketDifferences(w, g, RTOL), [], `${IMAGES[i]}: ${reference} keeps patches webgpu clearly drops`);
  }
});

test('the webgpu backend reports its adapter and leaks no tensor', { skip }, async () => {
  const info = await initBackend({ backend: 'webgpu' });
  assert.equal(info.backend, 'webgpu');
  assert.ok(info.adapter, 'adapter facts');
  assert.equal(info.gpu, !info.adapter.software);
  const before = tf.memory().numTensors;
  // dataSync() needs OffscreenCanvas on webgpu, which Node lacks: the library reads tensors with data().
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])));
  assert.deepEqual(Array.from(await y.data()), [17, 39]);
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
});
