import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPolicy, policyNames, randomPolicy, sampleRng, type PolicyContext, type PatchSelection } from '../../src/tickets/policies/index.js';
import { resolveK } from '../../src/tickets/meta.js';

/** The invariant every policy keeps: k strictly ascending positions in [0, N), k aligned scores. */
function assertValidSelection(s: PatchSelection, ctx: PolicyContext): void {
  assert.equal(s.positions.length, ctx.k);
  assert.equal(s.scores.length, ctx.k);
  for (let i = 0; i < ctx.k; i++) {
    assert.ok(s.positions[i] < ctx.n);
    if (i > 0) assert.ok(s.positions[i] > s.positions[i - 1]);
  }
}

test('every registered policy keeps the selection invariant', () => {
  for (const name of policyNames()) {
    const spec = getPolicy(name);
    if (spec.needsScores) continue;
    for (const [n, k] of [[16, 16], [196, 98], [196, 1], [49, 49], [196, 196]]) {
      if (name === 'full' && k !== n) continue;
      const patches = Uint8Array.from({ length: n * 16 }, (_, i) => (i * 2654435761) >>> 24);
      const cover = Float32Array.from({ length: n }, (_, i) => ((i * 40503) % 97) / 96); // policies that read masks (oracle)
      const ctx = { id: `x${n}-${k}`, n, k, seed: 3, patches, cover };
      assertValidSelection(spec.select(ctx), ctx);
    }
  }
});

test('random tickets depend only on (seed, id)', () => {
  const a = randomPolicy({ id: 'cat.jpg', n: 196, k: 98, seed: 1 });
  const b = randomPolicy({ id: 'cat.jpg', n: 196, k: 98, seed: 1 });
  assert.deepEqual(a.positions, b.positions);
  assert.notDeepEqual(randomPolicy({ id: 'dog.jpg', n: 196, k: 98, seed: 1 }).positions, a.positions);
  assert.notDeepEqual(randomPolicy({ id: 'cat.jpg', n: 196, k: 98, seed: 2 }).positions, a.positions);
  assert.ok(a.scores.every(Number.isNaN));
});

test('random tickets are uniform (each position kept about k/N of the time)', () => {
  const counts = new Array(16).fill(0);
  for (let i = 0; i < 4000; i++) for (const p of randomPolicy({ id: String(i), n: 16, k: 4, seed: 0 }).positions) counts[p]++;
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 150, `count ${c}`);
});

test('the per-sample generator is pinned (golden values for other implementations)', () => {
  const rng = sampleRng(0, 'a');
  const first = [rng.next(), rng.next(), rng.next()];
  assert.deepEqual(first, GOLDEN_NEXT);
  assert.deepEqual([...randomPolicy({ id: 'a', n: 16, k: 4, seed: 0 }).positions], GOLDEN_POSITIONS);
});

test('k resolution: full, explicit k, keep fraction, and bad values', () => {
  assert.deepEqual(resolveK('full', 196, {}), { k: 196, keep: 1, kDerivation: 'full' });
  assert.equal(resolveK('random', 196, { keep: 0.5 }).k, 98);
  assert.equal(resolveK('random', 196, { keep: 0.3 }).k, 59);
  assert.equal(resolveK('random', 196, { k: 10 }).k, 10);
  assert.throws(() => resolveK('random', 196, {}), /needs k or keep/);
  assert.throws(() => resolveK('random', 196, { keep: 0 }), /fraction/);
  assert.throws(() => resolveK('random', 196, { k: 197 }), /integer in \[1, 196\]/);
  assert.throws(() => resolveK('full', 196, { k: 3 }), /keeps all/);
  assert.throws(() => getPolicy('nope'), /unknown policy/);
});

// Computed independently by the Python reference in test/interop/read_shards.py (same values).
const GOLDEN_NEXT = [2063604690, 2449001303, 2524962429];
const GOLDEN_POSITIONS = [2, 5, 8, 9];
