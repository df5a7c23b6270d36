/** The scoring-mode registry: name → factory. Add a mode by adding its file and one entry here. */
import { InputError, show } from '../../util/errors.js';
import type { ViT } from '../../model/vit.js';
import { clsAttnMode } from './cls-attn.js';
import { evitMode } from './evit.js';
import { rolloutMode } from './rollout.js';
import { ModeName, type ModeFactory, type ModeOptions, type PreparedMode } from './types.js';

const MODES: Record<ModeName, ModeFactory> = {
  [ModeName.Evit]: evitMode,
  [ModeName.ClsAttn]: clsAttnMode,
  [ModeName.Rollout]: rolloutMode,
};

export function isModeName(name: string): name is ModeName {
  return Object.hasOwn(MODES, name);
}

export function modeNames(): ModeName[] {
  return Object.keys(MODES) as ModeName[];
}

/** Validates `options` for `model` and returns the mode ready to score batches. */
export function prepareMode(name: string, model: ViT, options: ModeOptions = {}): PreparedMode {
  if (!isModeName(name)) throw new InputError(`unknown scoring mode ${show(name)} (known: ${modeNames().join(', ')})`);
  return MODES[name](model, options);
}

export { defaultEvitBlocks } from './evit.js';
export { ModeName, type ModeFactory, type ModeOptions, type PreparedMode } from './types.js';
