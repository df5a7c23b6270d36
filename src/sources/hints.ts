/**
 * Setting hints: a library message that points the user at a setting ("… use --small-images skip")
 * names it by its library config key (a `Setting`), and the surface the user works in renders it in
 * what that user types: the CLI a flag (`--small-images skip`), a pipeline file its JSON path
 * (`patchify.smallImages: "skip"`), a library caller the config field (`smallImages: "skip"`). Each
 * surface selects its vocabulary once, where it starts (the CLI before a command's action, the
 * pipeline when a file is loaded or run); messages are rendered when they are made.
 */

/** The user-facing settings library messages point at: the library config field (camelCase) of each. */
export const Setting = {
  /** PatchifyConfig fields (pipeline: `patchify.<field>`). */
  ImageSize: 'imageSize',
  PatchSize: 'patchSize',
  Channels: 'channels',
  Resize: 'resize',
  ResizeTo: 'resizeTo',
  ShortestEdge: 'shortestEdge',
  CropPct: 'cropPct',
  CropRounding: 'cropRounding',
  PilParity: 'pilParity',
  Interpolation: 'interpolation',
  Mean: 'mean',
  Std: 'std',
  Background: 'background',
  LimitInputPixels: 'limitInputPixels',
  SmallImages: 'smallImages',
  /** ImageFolderSourceConfig.allowEmptyClasses. */
  AllowEmptyClasses: 'allowEmptyClasses',
  /** ImageFolderSourceConfig.allowSplitDirectories. */
  AllowSplitDirectories: 'allowSplitDirectories',
  /** A source's root directory. */
  Root: 'root',
  /** A file source's maxFileBytes. */
  MaxFileBytes: 'maxFileBytes',
  /** SelectorSpec.model: the named variant of a selector checkpoint. */
  Model: 'model',
} as const;
export type Setting = (typeof Setting)[keyof typeof Setting];

/** A value to show with the setting: a concrete value, or a placeholder such as `<variant>`. */
export type HintValue = string | number | boolean;

/** How a surface spells "set `setting` to `value`" (value omitted: the setting's name alone). */
export type Vocabulary = (setting: Setting, value?: HintValue) => string;

/** `key: value` in JSON, or the key alone; `true` of a boolean is the key and `: true`. */
export function keyValue(key: string, value?: HintValue): string {
  if (value === undefined) return key;
  return `${key}: ${typeof value === 'string' && /^<.*>$/.test(value) ? value : JSON.stringify(value)}`;
}

/** The library's own spelling: the config field. */
export const CONFIG_KEYS: Vocabulary = (setting, value) => keyValue(setting, value);

let active: Vocabulary = CONFIG_KEYS;

/** Selects the vocabulary hints are rendered in from now on (the surface's entry calls this). */
export function useVocabulary(vocabulary: Vocabulary): void {
  active = vocabulary;
}

/** The setting (with a value) as the user of the current surface types it. */
export function hint(setting: Setting, value?: HintValue): string {
  return active(setting, value);
}
