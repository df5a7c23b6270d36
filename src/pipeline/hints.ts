/**
 * How a pipeline file spells the settings library messages point at (sources/hints.ts): the JSON
 * path of each in the file, so an error met while loading or running a pipeline names the key to
 * edit (`patchify.smallImages: "skip"`), never a CLI flag.
 */
import { keyValue, Setting, useVocabulary, type Vocabulary } from '../sources/hints.js';

const PATCHIFY = [
  Setting.ImageSize, Setting.PatchSize, Setting.Channels, Setting.Resize, Setting.ResizeTo, Setting.ShortestEdge, Setting.CropPct, Setting.CropRounding,
  Setting.PilParity, Setting.Interpolation, Setting.Mean, Setting.Std, Setting.Background, Setting.LimitInputPixels, Setting.SmallImages,
] as const;

const PIPELINE_KEYS: Record<Setting, string> = {
  ...(Object.fromEntries(PATCHIFY.map((k) => [k, `patchify.${k}`])) as Record<(typeof PATCHIFY)[number], string>),
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
