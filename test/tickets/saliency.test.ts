/** The `saliency` policy: top-k by per-patch pixel standard deviation, ties by position; end to end through dlth materialize. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/shards/reader.js';
import { ticketBatches } from '../../src/shards/reader.js';
import { getPolicy, patchSpread, saliencyPolicy } from '../../src/tickets/policies/index.js';
import { InputError } from '../../src/util/errors.js';

/** n patches of m bytes; patch j alternates between 100 − a_j and 100 + a_j (std a_j). */
function patchesWithStd(stds: number[], m = 16): Uint8Array {
  const out = new Uint8Array(stds.length * m);
  stds.forEach((a, j) => {
    for (let i = 0; i < m; i++) out[j * m + i] = 100 + (i % 2 === 0 ? -a : a);
  });
  return out;
}

test('keeps the k patches of highest std, ascending, with their std as score', () => {
  const stds = [3, 40, 0, 12, 25, 7, 40, 1];
  const s = saliencyPolicy({ id: 'a', n: 8, k: 3, seed: 0, patches: patchesWithStd(stds) });
  assert.deepEqual([...s.positions], [1, 4, 6]);
  assert.deepEqual([...s.scores], [40, 25, 40]);
});

test('ties are broken by the smaller position; a flat image keeps the first k patches', () => {
  const s = saliencyPolicy({ id: 'a', n: 8, k: 2, seed: 0, patches: patchesWithStd([5, 9, 9, 9, 0, 0, 0, 0]) });
  assert.deepEqual([...s.positions], [1, 2]);
  const flat = saliencyPolicy({ id: 'b', n: 49, k: 5, seed: 0, patches: new Uint8Array(49 * 64).fill(77) });
  assert.deepEqual([...flat.positions], [0, 1, 2, 3, 4]);
  assert.ok(flat.scores.every((v) => v === 0));
});

test('spread is m² × the population variance, exactly', () => {
  const px = Uint8Array.from([0, 255, 10, 20, 30, 40]);
  const v = patchSpread(px, 2);
  // patch 0: values 0, 255, 10 → m·S2 − S1² = 3·(65025 + 100) − 265²
  assert.deepEqual([...v], [3 * 65125 - 265 ** 2, 3 * (400 + 900 + 1600) - 90 ** 2]);
});

test('independent of id and seed; refuses a sample without pixels or a bad k', () => {
  const patches = patchesWithStd([1, 2, 3, 4]);
  const a = saliencyPolicy({ id: 'x', n: 4, k: 2, seed: 0, patches });
  const b = saliencyPolicy({ id: 'y', n: 4, k: 2, seed: 9, patches });
  assert.deepEqual(a, b);
  assert.equal(getPolicy('saliency').seeded, false);
  assert.throws(() => saliencyPolicy({ id: 'x', n: 4, k: 2, seed: 0 }), (e: unknown) => e instanceof InputError && /has no pixels/.test(e.message));
  assert.throws(() => saliencyPolicy({ id: 'x', n: 4, k: 5, seed: 0, patches }), /k = 5 is outside 1..4/);
  assert.throws(() => saliencyPolicy({ id: 'x', n: 3, k: 1, seed: 0, patches }), /do not split into 3 patches/);
});

async function rowsOf(dir: string): Promise<{ positions: Uint16Array; scores: Float32Array; patches: Uint8Array }[]> {
  const rows = [];
  for await (const b of ticketBatches(await openDataset(dir))) {
    const k = b.positions.length / b.numRows;
    const bytes = b.patches.length / b.numRows;
    for (let i = 0; i < b.numRows; i++) {
      rows.push({ positions: b.positions.slice(i * k, (i + 1) * k), scores: b.scores.slice(i * k, (i + 1) * k), patches: b.patches.slice(i * bytes, (i + 1) * bytes) });
    }
  }
  return rows;
}

function materialize(policy: string, keep: string[], out: string): void {
  execFileSync(process.execPath, ['bin/dlth.js', 'materialize', '--source', 'idx', '--root', 'data/fashion-mnist-mini', '--limit', '40',
    '--image-size', '28', '--patch-size', '4', '--channels', '1', '--resize', 'none', '--policy', policy, ...keep, '-o', out, '-q'], { stdio: 'pipe' });
}

test('dlth materialize --policy saliency --keep 0.5 on real Fashion-MNIST: the policy applied to each full image', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dlth-saliency-'));
  materialize('saliency', ['--keep', '0.5'], join(tmp, 'sal'));
  materialize('full', [], join(tmp, 'full'));
  const ds = await openDataset(join(tmp, 'sal'));
  assert.deepEqual([ds.meta.policy, ds.meta.k, ds.meta.seed], ['saliency', 25, null]);
  const [sal, full] = [await rowsOf(join(tmp, 'sal')), await rowsOf(join(tmp, 'full'))];
  assert.equal(sal.length, 40);
  sal.forEach((r, i) => {
    const want = saliencyPolicy({ id: String(i), n: 49, k: 25, seed: 0, patches: full[i].patches });
    assert.deepEqual(r.positions, want.positions);
    assert.deepEqual(r.scores, want.scores);
    const kept = new Set(r.positions);
    const spread = patchSpread(full[i].patches, 49);
    const worstKept = Math.min(...[...kept].map((p) => spread[p]));
    for (let p = 0; p < 49; p++) if (!kept.has(p)) assert.ok(spread[p] <= worstKept);
  });
});
