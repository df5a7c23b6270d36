import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evitFromMaps } from '../../src/scoring/select.js';
import { resolveTicketK, ticketPolicy, ticketPolicySpec } from '../../src/tickets/policies/ticket.js';
import type { DatasetMeta, ScoreRow, SelectorInfo } from '../../src/shards/types.js';

function scoreMeta(mode: string, params: SelectorInfo['params']): DatasetMeta {
  return {
    format: 'dlth',
    version: 1,
    kind: 'scores',
    imageSize: [224, 224],
    patchSize: 16,
    grid: [14, 14],
    channels: 3,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    k: 196,
    keep: 1,
    policy: null,
    seed: null,
    selector: { fingerprint: 'sha256:x', model: 'deit-small-patch16-224', mode, params },
    source: { kind: 'idx', fingerprint: 'sha256:y', classes: null },
    numClasses: null,
  };
}

test('ticket policy: top-k of the rank, ascending, scores aligned', () => {
  const row: ScoreRow = { id: 'a', label: 1, scores: Float32Array.from([0.1, 0.4, 0.3, 0.2]), rank: Uint16Array.from([1, 2, 3, 0]) };
  const sel = ticketPolicy({ id: 'a', n: 4, k: 2, seed: 0, scoreRow: row });
  assert.deepEqual([...sel.positions], [1, 2]);
  assert.deepEqual([...sel.scores], [0.4, 0.3].map(Math.fround));
  assert.throws(() => ticketPolicy({ id: 'a', n: 4, k: 2, seed: 0 }), /no score row/);
  assert.throws(() => ticketPolicy({ id: 'b', n: 4, k: 2, seed: 0, scoreRow: row }), /does not belong/);
  assert.throws(() => ticketPolicy({ id: 'a', n: 5, k: 2, seed: 0, scoreRow: row }), /grid has 5/);
  assert.equal(ticketPolicySpec.needsScores, true);
});

test('ticket with k from the EViT rate is exactly the EViT survivors', () => {
  const next = ((s: number) => () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32))(3);
  const maps = Array.from({ length: 3 }, () => Array.from({ length: 196 }, next));
  for (const rate of [0.9, 0.8, 0.7]) {
    const evit = evitFromMaps(maps, rate);
    const { k, kDerivation, keep } = resolveTicketK({ keepFrom: 'evit-rate' }, scoreMeta('evit', { rate, blocks: [3, 6, 9] }));
    assert.equal(kDerivation, 'evit-rate');
    assert.equal(k, evit.survivors);
    assert.equal(keep, k / 196);
    const sel = ticketPolicy({ id: 'x', n: 196, k, seed: 0, scoreRow: { id: 'x', label: null, ...evit } });
    assert.deepEqual([...sel.positions], [...evit.rank.slice(0, evit.survivors)].sort((a, b) => a - b));
  }
  assert.equal(resolveTicketK({ keepFrom: 'evit-rate' }, scoreMeta('evit', { rate: 0.7, blocks: [3, 6, 9] })).k, 68);
});

test('resolveTicketK: explicit, fraction and errors', () => {
  const meta = scoreMeta('cls-attn', { layer: 11 });
  assert.deepEqual(resolveTicketK({ k: 50 }, meta), { k: 50, keep: 50 / 196, kDerivation: 'explicit' });
  assert.deepEqual(resolveTicketK({ keep: 0.5 }, meta), { k: 98, keep: 0.5, kDerivation: 'fraction' });
  assert.throws(() => resolveTicketK({ keepFrom: 'evit-rate' }, meta), /mode evit/);
  assert.throws(() => resolveTicketK({ k: 1, keep: 0.5 }, meta), /exactly one/);
  assert.throws(() => resolveTicketK({ k: 197 }, meta), /outside/);
});
