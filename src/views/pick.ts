/**
 * Which view of an image a reader yields, per (seed, epoch, sample): the TypeScript loader,
 * `dlth stream` and the Python reader (python/dlth/views_pick.py) all use this rule.
 * - K = 1: view 0;
 * - a fixed view index (loader `viewIndex`, `dlth stream --view-index`, Python `view_index`): that view
 *   (0, the plain view, for evaluation);
 * - else a random view, 1 + below(K − 1) of sfc32 keyed by hashInts(seed, epoch, Salt.View,
 *   hashString(id)): training sees only the random crops, as timm's training transform does, each
 *   equally often, a new draw every epoch, the same for a sample on every rank and shard layout.
 */
import { hashInts, hashString, Rng, Salt } from '../loader/rng.js';
import { InputError, show } from '../util/errors.js';

/** The view of sample `id` in `epoch` among `count`; `fixed`: always that one (checked by checkViewIndex). */
export function pickView(seed: number, epoch: number, id: string, count: number, fixed?: number): number {
  if (fixed !== undefined) return fixed;
  if (count <= 1) return 0;
  return 1 + new Rng(hashInts(seed, epoch, Salt.View, hashString(id))).below(count - 1);
}

/** A fixed view index must be one of the dataset's views; `what` names the option, `file` the dataset. */
export function checkViewIndex(index: number | undefined, count: number, what: string, file: string): void {
  if (index === undefined) return;
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    const held = count === 1 ? 'only view 0 (no views: K = 1)' : `views 0…${count - 1}`;
    throw new InputError(`${what} is ${show(index)}, but the dataset holds ${held}`, { file });
  }
}
