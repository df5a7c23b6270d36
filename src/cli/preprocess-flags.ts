/**
 * Preprocessing flags of `dlth score` and `dlth materialize`: --mean, --std, --crop-pct,
 * --interpolation (and --resize, declared with the source flags). Set, they override the
 * selector checkpoint's own preprocessing (score) or the score dataset's recorded one (materialize).
 */
import { parseNumber, parseNumbers } from './numbers.js';
import type { Command } from 'commander';
import type { PreprocessingOverrides } from '../preprocessing/resolve.js';
import { ResizeMode } from '../patchify/types.js';
import { InputError, show } from '../util/errors.js';

export interface PreprocessFlags {
  mean?: string;
  std?: string;
  cropPct?: string;
  interpolation?: string;
  resize?: string;
}

export function addPreprocessOptions(cmd: Command): Command {
  return cmd
    .option('--mean <list>', 'normalisation mean per channel, e.g. 0.5,0.5,0.5 (default: the checkpoint\'s)')
    .option('--std <list>', 'normalisation std per channel (default: the checkpoint\'s)')
    .option('--crop-pct <f>', 'DeiT crop: shorter side to size/f, then centre crop (default: the checkpoint\'s)')
    .option('--interpolation <name>', 'resize kernel: bicubic | bilinear | nearest | lanczos, or sharp\'s cubic | linear | lanczos3 (default: the checkpoint\'s)');
}

const num = (flag: string, text: string): number => parseNumber(flag, text);
const numbers = (flag: string, text: string): number[] => parseNumbers(flag, text);

/** --resize: a mode (deit | shorter | none | fixed), a shorter-edge length (256), or a fixed HxW (256x256). */
export function parseResize(text: string): NonNullable<PreprocessingOverrides['resize']> {
  if ((Object.values(ResizeMode) as string[]).includes(text)) return text as ResizeMode;
  const parts = text.split(/[x×]/);
  if (parts.every((p) => /^\d+$/.test(p)) && parts.length <= 2) {
    const [h, w] = parts.map(Number);
    return w === undefined ? h : [h, w];
  }
  throw new InputError(`--resize must be ${Object.values(ResizeMode).join(', ')}, a shorter-edge length (256) or HxW (256x256), got ${show(text)}`);
}

export function preprocessOverrides(flags: PreprocessFlags): PreprocessingOverrides {
  const o: PreprocessingOverrides = {};
  if (flags.mean !== undefined) o.mean = numbers('mean', flags.mean);
  if (flags.std !== undefined) o.std = numbers('std', flags.std);
  if (flags.cropPct !== undefined) o.cropPct = num('crop-pct', flags.cropPct);
  if (flags.interpolation !== undefined) o.interpolation = flags.interpolation;
  if (flags.resize !== undefined) o.resize = parseResize(flags.resize);
  return o;
}
