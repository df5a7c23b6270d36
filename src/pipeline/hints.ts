/**
 * How a pipeline file spells the settings library messages point at (sources/hints.ts): the JSON
 * path of each in the file, so an error met while loading or running a pipeline names the key to
 * edit (`patchify.smallImages: "skip"`), never a CLI flag.
 */
import { keyValue, useVocabulary, type Setting, type Vocabulary } from '../sources/hints.js';

const PIPELINE_KEYS: Record<Setting, string> = {
  smallImages: 'patchify.smallImages',
  allowEmptyClasses: 'sources.<name>.allowEmptyClasses',
  allowSplitDirectories: 'sources.<name>.allowSplitDirectories',
  root: 'sources.<name>.root',
  maxFileBytes: 'sources.<name>.maxFileBytes',
  model: 'stages[<score stage>].selector.model',
};

export const PIPELINE_VOCABULARY: Vocabulary = (setting, value) => keyValue(PIPELINE_KEYS[setting], value);

/** From now on, hints name pipeline keys (called where a pipeline is loaded and where it runs). */
export function usePipelineVocabulary(): void {
  useVocabulary(PIPELINE_VOCABULARY);
}
