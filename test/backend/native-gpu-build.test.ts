/**
 * The tfjs-node-gpu binding built by `DLTH_GPU=1 npm run setup` (scripts/native/setup-gpu.sh) loads
 * and scores correctly on a machine without a GPU: EViT scores of a DeiT-tiny on real JPEGs, in a
 * child process per package (both register the `tensorflow` backend, so never in one process),
 * agree with tfjs-node's within 1e-4 relative and give the same tickets up to near-ties.
 * Skipped, with the reason, when the GPU binding is not built (CI never needs the large wheels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { clearTicketDifferences, nativeBuilt, ticketDifference, worstRelative, type ScoredImage } from './helpers.js';

const require = createRequire(import.meta.url);
const GPU_PKG = '@tensorflow/tfjs-node-gpu';
const RTOL = 1e-4;
const IMAGES = ['test/fixtures/images/chelsea-150x100.jpg', 'test/fixtures/images/coffee-192x128.jpg'];

function gpuBuild(): { dir: string; wheel: string; cuda: string } | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${GPU_PKG}/package.json`);
  } catch {
    return undefined;
  }
  const preGyp = require(require.resolve('@mapbox/node-pre-gyp', { paths: [dirname(pkgJson)] })) as { find(p: string): string };
  if (!existsSync(preGyp.find(pkgJson))) return undefined;
  const deps = join(dirname(pkgJson), 'deps');
  const read = (f: string): string => (existsSync(join(deps, f)) ? readFileSync(join(deps, f), 'utf8').trim() : 'unknown');
  return { dir: dirname(pkgJson), wheel: read('.dlth-wheel'), cuda: read('.dlth-cuda') };
}

const build = gpuBuild();
const skip = build === undefined
  ? `${GPU_PKG} binding not built (DLTH_GPU=1 npm run setup builds it; DLTH_TF_GPU_WHEEL=tensorflow-cpu where the tensorflow wheel is unreachable)`
  : !nativeBuilt() ? 'tfjs-node binding not built: no reference' : false;

function score(pkg: string): { tfVersion: string; images: ScoredImage[] } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/backend/fixtures/evit-with-package.ts', pkg, ...IMAGES], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LD_LIBRARY_PATH: '' },
    timeout: 180_000,
  });
  return JSON.parse(out) as { tfVersion: string; images: ScoredImage[] };
}

test(`${GPU_PKG} (GPU build) scores like @tensorflow/tfjs-node on this machine`, { skip }, (t) => {
  t.diagnostic(`built from ${build?.wheel}; CUDA libraries: ${build?.cuda}`);
  const gpu = score(GPU_PKG);
  const cpu = score('@tensorflow/tfjs-node');
  assert.match(gpu.tfVersion, /^2\.\d+/);
  for (let i = 0; i < IMAGES.length; i++) {
    const [g, c] = [gpu.images[i], cpu.images[i]];
    assert.equal(g.survivors, c.survivors);
    const worst = worstRelative(g, c);
    t.diagnostic(`${IMAGES[i]}: worst relative difference ${worst.toExponential(2)}, ${ticketDifference(g, c)} ticket patches differ`);
    assert.ok(worst <= RTOL, `${IMAGES[i]}: worst relative difference ${worst}`);
    assert.deepEqual(clearTicketDifferences(g, c, RTOL), []);
    assert.deepEqual(clearTicketDifferences(c, g, RTOL), []);
  }
});
