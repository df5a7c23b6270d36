/** Model-free recall: random's k / N, fixed rankings and the six pixel rules, the worst rule gap, and masks picked by file index. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masksOf, modelFreeRecall, randomRecall, worstGap } from '../../src/masks/model-free.js';
import { measureRecall, patchRules } from '../../src/masks/recall.js';
import type { MaskSet } from '../../src/masks/read.js';

const set = (count: number, h: number, w: number, data: number[]): MaskSet => ({ file: 'm', count, height: h, width: w, data: Uint8Array.from(data), sha256: '' });

test('modelFreeRecall: priors first, then the six rules, as measureRecall counts them; random k / N; the worst gap names its rule and k', () => {
  let s = 11;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) % 256;
  const [count, H, P, ks] = [20, 8, 2, [8, 3]];
  const images = { data: Uint8Array.from({ length: count * H * H }, rnd), count, height: H, width: H };
  const masks = set(count, H, H, Array.from({ length: count * H * H }, () => (rnd() < 100 ? 1 : 0)));
  const prior = Uint16Array.from({ length: 16 }, (_, j) => 15 - j);
  const r = modelFreeRecall({ images, masks, patch: P, ks }, new Map([['reverse', prior]]));
  assert.deepEqual([...r.recall.keys()], ['reverse', 'std, highest', 'std, lowest', 'mean, highest', 'mean, lowest', 'gradient, highest', 'gradient, lowest']);
  assert.deepEqual(r.rules, [...r.recall.keys()].slice(1));
  const direct = measureRecall({ images, masks, patch: P, ks }, new Map([['reverse', () => prior], ...patchRules(H, H, P)]));
  assert.deepEqual(r.recall, direct.recall);
  assert.deepEqual(r.random, [0.5, 3 / 16]);
  assert.deepEqual(randomRecall([18, 37], 49), [18 / 49, 37 / 49]);
  let worst = { gap: -1, rule: '', k: 0 };
  for (const name of r.rules) ks.forEach((k, t) => {
    const gap = Math.abs((r.recall.get(name) as number[])[t] - r.random[t]);
    if (gap > worst.gap) worst = { gap, rule: name, k };
  });
  assert.deepEqual(r.worstRuleGap, worst);
  assert.deepEqual(worstGap(new Map([['x', [0.5, 0.1]]]), ['x'], [2, 1], [0.5, 0.25]), { gap: 0.15, rule: 'x', k: 1 });
  assert.equal(worstGap(new Map(), [], [], []), null);
});

test('masksOf: the masks of the given file indices, in that order; an index past the file is refused', () => {
  const m = set(3, 1, 2, [1, 0, 0, 1, 1, 1]);
  const sub = masksOf(m, [2, 0]);
  assert.equal(sub.count, 2);
  assert.deepEqual([...sub.data], [1, 1, 1, 0]);
  assert.throws(() => masksOf(m, [3]), /no mask 3: the file holds 3/);
});
