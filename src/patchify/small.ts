/**
 * Images smaller than the target size (either side): refused (SmallImageError, a failed sample
 * recorded in errors.jsonl) under smallImages "skip", else upscaled; under "warn" (the default)
 * each one is counted here and the CLI prints one warning line at the end of the command. The
 * setting is named as the user of the surface types it (sources/hints.ts): a flag on the CLI, a
 * key in a pipeline. No sharp import, so the CLI can read the count without loading the decoder.
 */
import { hint, Setting } from '../sources/hints.js';
import { SmallImageError } from '../util/errors.js';
import type { PatchifyConfig } from './types.js';

interface Tally {
  count: number;
  first: string | null;
  target: string;
}

const tally: Tally = { count: 0, first: null, target: '' };

/** Throws SmallImageError (mode 'skip') or counts the image (mode 'warn') when it is smaller than the target. */
export function checkImageSize(width: number, height: number, config: Pick<PatchifyConfig, 'imageSize' | 'smallImages'>, file: string): void {
  const [th, tw] = config.imageSize;
  if (width >= tw && height >= th) return;
  const mode = config.smallImages ?? 'warn';
  if (mode === 'upscale') return;
  const what = `image is ${width}×${height}, smaller than the target ${tw}×${th} (width×height)`;
  if (mode === 'skip') throw new SmallImageError(`${what}: refused (${hint(Setting.SmallImages, 'skip')})`, { file });
  tally.count++;
  tally.first ??= `${file} (${width}×${height})`;
  tally.target = `${tw}×${th}`;
}

/** The warning for the images upscaled under 'warn' so far, or null when there were none. */
export function smallImagesWarning(): string | null {
  if (tally.count === 0) return null;
  return `${tally.count} image(s) smaller than ${tally.target} were upscaled, e.g. ${tally.first}; `
    + `use ${hint(Setting.SmallImages, 'skip')} to refuse them (recorded in errors.jsonl) or ${hint(Setting.SmallImages, 'upscale')} to accept them silently`;
}
