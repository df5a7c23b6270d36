/** Public API of the model module. */
export * from './configs.js';
export * from './layers/index.js';
export { Block, type BlockAttentionResult, type BlockOptions } from './block.js';
export { ViT, type FeaturesResult, type ForwardOptions, type ForwardResult } from './vit.js';
export { initWeights, namedVariables, disposeParams, type ViTParams } from './weights.js';
export { toModelInput, type ModelInput } from './input.js';
export { crossEntropy, trainStep, type TrainStepResult } from './train.js';
export { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type HostTensor, type StateDict, type StoreDtype, type SafetensorsContent } from './safetensors.js';
export { checkpointFilter, detectFormat, type CheckpointFormat, type FilterTarget } from './checkpoint_filter.js';
export { fromTimmStateDict, toTimmStateDict, timmShapes } from './timm_state.js';
export { resamplePosEmbed } from './pos_embed.js';
export { configFromHf, type HfVitConfigJson } from './hf_config.js';
export * from './checkpoint.js';
