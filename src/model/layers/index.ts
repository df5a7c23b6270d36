export type { AttentionParams, BlockParams, DenseParams, MlpParams, NormParams } from './params.js';
export { attention, type AttentionOptions, type AttentionResult } from './attention.js';
export { gelu, geluFolded } from './gelu.js';
export { batchGather, gatherPatches, gatherTokens } from './keep_tokens.js';
export { dense, matMul, type DenseLike } from './matmul.js';
export { mlp } from './mlp.js';
export { layerNorm } from './norm.js';
export { normalisationVectors, patchEmbed } from './patch_embed.js';
export { oneHotRows } from './one_hot.js';
