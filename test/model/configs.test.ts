import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridOf, resolveConfig, VARIANTS, variantConfig } from '../../src/model/configs.js';
import { ModelError } from '../../src/util/errors.js';

describe('model configs', () => {
  it('every named variant resolves; sizes are derived', () => {
    for (const name of Object.keys(VARIANTS)) resolveConfig(variantConfig(name));
    const s = variantConfig('deit-small-patch16-224');
    assert.deepEqual([s.dim, s.depth, s.heads, s.numClasses], [384, 12, 6, 1000]);
    const g = gridOf(variantConfig('vit-mini-p4-28', { numClasses: 7 }));
    assert.deepEqual([g.numPatches, g.patchDim, g.prefix, g.mlpDim], [49, 16, 1, 512]);
    assert.equal(gridOf(variantConfig('deit-tiny-distilled-patch16-224')).prefix, 2);
  });

  it('bad values throw ModelError naming the field', () => {
    assert.throws(() => resolveConfig({ dim: 100, heads: 3 }), (e: unknown) => e instanceof ModelError && /heads = 3/.test(e.message));
    assert.throws(() => resolveConfig({ imageSize: [30, 30], patchSize: 16 }), /imageSize/);
    assert.throws(() => resolveConfig({ channels: 1, mean: [0.5, 0.5] }), /mean/);
    assert.throws(() => variantConfig('deit-huge'), /unknown model variant "deit-huge"/);
  });
});
