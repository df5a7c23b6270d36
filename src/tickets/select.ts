/** Applies a policy to one decoded sample, after checking its grid matches the dataset. */
import type { PatchGrid } from '../patchify/types.js';
import type { DatasetMeta } from '../shards/types.js';
import { InputError } from '../util/errors.js';
import type { PolicyContext, PolicySpec, PatchSelection } from './policies/types.js';

export function sampleSelection(spec: PolicySpec, ctx: PolicyContext, grid: PatchGrid, meta: DatasetMeta): PatchSelection {
  if (grid.gridH !== meta.grid[0] || grid.gridW !== meta.grid[1] || grid.patchSize !== meta.patchSize || grid.channels !== meta.channels) {
    throw new InputError(
      `patch grid ${grid.gridH}×${grid.gridW} of ${grid.patchSize}px×${grid.channels} does not match the dataset's ${meta.grid.join('×')} of ${meta.patchSize}px×${meta.channels}`,
    );
  }
  const selection = spec.select({ ...ctx, patches: grid.patches });
  if (selection.positions.length !== ctx.k || selection.scores.length !== ctx.k) {
    throw new InputError(`policy returned ${selection.positions.length} positions / ${selection.scores.length} scores, expected k = ${ctx.k}`);
  }
  return selection;
}
