// What the experiment generators (scripts/cluttered-pipelines.mjs, scripts/soup-pipelines.mjs)
// share: Fashion-MNIST's class names, the EViT survivor count, the stage-name tag of a rate, and
// the pipeline file's frame.

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/**
 * EViT survivors of n patches: ceil(r·n) at each pruning block, exactly as model/evit-counts.ts
 * evitKeepCount (no epsilon: 0.55·100 is 55.00000000000001 in floats and the chain keeps 56), so
 * k is the chain's own.
 */
export function survivors(rate, blocks, n = 49) {
  let kept = n;
  for (let i = 0; i < blocks.length; i++) kept = Math.max(1, Math.min(kept, Math.ceil(rate * kept)));
  return kept;
}

/** A rate's tag in stage names: 0.7 → r70. */
export const rateTag = (r) => `r${Math.round(r * 100)}`;

/** The pipeline file around its sources, patch geometry and stages. */
export function pipelineFile({ name, description, shardBytes, sources, patchify, stages }) {
  return { $schema: '../schemas/pipeline.schema.json', name, description, seed: 0, concurrency: 2, shardBytes, sources, patchify, stages };
}
