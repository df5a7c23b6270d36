/**
 * Flags shared by the commands that read an image source (`dlth score`, `dlth materialize`):
 * the source (--source idx|imagefolder|jsonl|webdataset with --root/--file/--shards/--split/--limit) and the patch
 * geometry (--image-size, --patch-size, --channels, --resize). One declaration, one parser. The
 * geometry flags have no commander defaults: undefined means "not given", so a command that has a
 * selector takes the geometry its checkpoint states, and the defaults (224, 16, 3) apply last.
 */
import { optionalNumber } from './numbers.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { resolvePatchifyConfig } from '../patchify/config.js';
import type { PatchifyConfig } from '../patchify/types.js';
import type { SourceConfig } from '../sources/types.js';
import { CONFIG_KEYS, useVocabulary, type Vocabulary } from '../sources/hints.js';
import { InputError, show } from '../util/errors.js';
import { parseResize } from './preprocess-flags.js';

export interface SourceFlags {
  source: string;
  root?: string;
  file?: string;
  shards?: string[];
  imageColumn?: string;
  labelColumn?: string;
  split?: string;
  limit?: string;
  offset?: string;
  classes?: string;
  maxFileBytes?: string;
  allowEmptyClasses?: boolean;
  allowSplitDirectories?: boolean;
  imageSize?: string;
  patchSize?: string;
  channels?: string;
  resize?: string;
  smallImages?: string;
}

/**
 * Hints as the CLI user types them: the command's own flag for a setting (the option whose
 * attribute name is the setting's config key: `smallImages` → `--small-images`), else the key.
 */
export function flagVocabulary(cmd: Command): Vocabulary {
  return (setting, value) => {
    const flag = cmd.options.find((o) => o.attributeName() === setting)?.long;
    if (flag === undefined) return CONFIG_KEYS(setting, value);
    return value === undefined || value === true ? flag : `${flag} ${String(value)}`;
  };
}

/** Library hints met while `cmd` runs name its flags (sources/hints.ts). */
export function useFlagVocabulary(cmd: Command): Command {
  return cmd.hook('preAction', (_command, action) => useVocabulary(flagVocabulary(action)));
}

/** The source flags and the patch geometry flags (`score`, `materialize`). */
export function addSourceOptions(cmd: Command): Command {
  return addGeometryOptions(addSourceLocationOptions(cmd));
}

/**
 * Where the images are: --source with --root/--file/--split/…; `optional` (a help text for
 * --source): a command that can do without images (`preview`).
 */
export function addSourceLocationOptions(cmd: Command, optional?: string): Command {
  const c = useFlagVocabulary(cmd);
  return (optional === undefined ? c.requiredOption('--source <kind>', 'idx | imagefolder | jsonl | webdataset | hf') : c.option('--source <kind>', optional))
    .option('--root <dir>', 'idx directory, imagefolder root, hf save_to_disk or Parquet directory')
    .option('--file <path>', 'jsonl file; hf: Parquet file(s) (a glob or brace range)')
    .option('--shards <spec>', 'webdataset: .tar shards: a path, directory, glob (shards/*.tar), brace range (shard-{000000..000009}.tar) or http(s) URL; repeat for more', collect)
    .option('--image-column <name>', 'hf: the image column (default: image)')
    .option('--label-column <name>', 'hf: the integer label column (default: label; absent: unlabelled)')
    .option('--split <name>', 'idx split: train | test (default: train); hf: a DatasetDict\'s split (default: train)')
    .option('--limit <n>', 'idx: first n samples only; webdataset: first n in sorted-id order')
    .option('--offset <n>', 'idx: skip the file\'s first n images (with --limit: a range, e.g. a validation split carved from the training file); webdataset: skip the first n in sorted-id order')
    .option('--classes <names>', 'idx, jsonl, webdataset: comma-separated class names, label i = name i (idx datasets need them to train on; pipeline sources: `classes`)')
    .option('--max-file-bytes <n>', 'imagefolder/jsonl/webdataset: largest image file (or tar member) read (default 64 MiB); larger ones are failed samples')
    .option('--allow-empty-classes', 'imagefolder: accept class folders without images (default: an error)')
    .option('--allow-split-directories', 'imagefolder: accept class folders named train/val/valid/validation/test that hold class folders (default: an error: pass --root <root>/train)');
}

/** The patch geometry: --image-size, --patch-size, --channels (default: the selector's, else 224/16/3), --resize, --small-images. */
export function addGeometryOptions(cmd: Command): Command {
  return cmd
    .option('--image-size <px>', `image side (or HxW) (default: the selector checkpoint's, else ${GEOMETRY_DEFAULTS.imageSize})`)
    .option('--patch-size <px>', `patch side (default: the selector checkpoint's, else ${GEOMETRY_DEFAULTS.patchSize})`)
    .option('--channels <n>', `1 or 3 (default: the selector checkpoint's, else ${GEOMETRY_DEFAULTS.channels})`)
    .option('--resize <mode>', 'deit | shorter | none | fixed, a shorter-edge length (256) or a fixed HxW (256x256)')
    .option('--small-images <mode>', 'images smaller than --image-size: warn (upscale, warn) | skip (record in errors.jsonl) | upscale');
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** --limit and --offset, where given. */
function range(flags: SourceFlags): { limit?: number; offset?: number } {
  return {
    ...(flags.limit !== undefined ? { limit: optionalNumber('limit', flags.limit) } : {}),
    ...(flags.offset !== undefined ? { offset: optionalNumber('offset', flags.offset) } : {}),
  };
}

/** --max-file-bytes: a positive integer, or absent. */
function maxFileBytes(flags: SourceFlags): { maxFileBytes?: number } {
  if (flags.maxFileBytes === undefined) return {};
  const v = optionalNumber('max-file-bytes', flags.maxFileBytes) as number;
  if (!Number.isSafeInteger(v) || v < 1) throw new InputError(`--max-file-bytes is ${show(flags.maxFileBytes)}, expected a positive integer (bytes)`);
  return { maxFileBytes: v };
}

/** --classes: comma-separated class names (label i = name i), or absent. */
function classNames(flags: SourceFlags): { classes?: string[] } {
  if (flags.classes === undefined) return {};
  const classes = flags.classes.split(',').map((c) => c.trim());
  if (classes.some((c) => c === '')) throw new InputError(`--classes ${show(flags.classes)} has an empty name`);
  return { classes };
}

export function sourceConfig(flags: SourceFlags): SourceConfig {
  const need = (name: 'root' | 'file'): string => {
    const v = flags[name];
    if (v === undefined) throw new InputError(`--source ${flags.source} needs --${name}`);
    return resolve(v);
  };
  switch (flags.source) {
    case 'idx': {
      const split = flags.split ?? 'train';
      if (split !== 'train' && split !== 'test') throw new InputError(`--split must be train or test, got ${show(split)}`);
      return { kind: 'idx', dir: need('root'), split, ...range(flags), ...classNames(flags) };
    }
    case 'imagefolder':
      if (flags.classes !== undefined) throw new InputError('--classes applies to --source idx or jsonl (an imagefolder\'s classes are its folders)');
      return {
        kind: 'imagefolder', root: need('root'), ...maxFileBytes(flags),
        ...(flags.allowEmptyClasses ? { allowEmptyClasses: true } : {}),
        ...(flags.allowSplitDirectories ? { allowSplitDirectories: true } : {}),
      };
    case 'jsonl':
      return { kind: 'jsonl', file: need('file'), ...maxFileBytes(flags), ...classNames(flags) };
    case 'webdataset': {
      const shards = flags.shards ?? (flags.root !== undefined ? [flags.root] : undefined);
      if (shards === undefined) throw new InputError('--source webdataset needs --shards (or --root <directory of .tar shards>)');
      return { kind: 'webdataset', shards: shards.map((s) => (/^https?:\/\//i.test(s) ? s : resolve(s))), ...maxFileBytes(flags), ...classNames(flags), ...range(flags) };
    }
    case 'hf': {
      if ((flags.root === undefined) === (flags.file === undefined)) throw new InputError('--source hf needs --root <save_to_disk or Parquet directory> or --file <Parquet files>');
      return {
        kind: 'hf', ...(flags.root !== undefined ? { root: resolve(flags.root) } : { files: [resolve(flags.file as string)] }),
        ...(flags.split !== undefined ? { split: flags.split } : {}),
        ...(flags.imageColumn !== undefined ? { imageColumn: flags.imageColumn } : {}),
        ...(flags.labelColumn !== undefined ? { labelColumn: flags.labelColumn } : {}),
        ...maxFileBytes(flags), ...classNames(flags), ...range(flags),
      };
    }
    default:
      throw new InputError(`--source must be idx, imagefolder, jsonl, webdataset or hf, got ${show(flags.source)}`);
  }
}

/** --resize as patchify fields: a mode, a shorter-edge length or a fixed HxW (see parseResize). */
function resizeFields(r: ReturnType<typeof parseResize>): Partial<PatchifyConfig> {
  if (typeof r === 'number') return { resize: 'shorter', shortestEdge: r };
  if (Array.isArray(r)) return { resize: 'fixed', resizeTo: r };
  return { resize: r };
}

/** The patch geometry: image [height, width], patch side, channels. */
export interface Geometry {
  imageSize: [number, number];
  patchSize: number;
  channels: number;
}

/** The geometry a selector states, and what states it (e.g. `checkpoint /models/vit`), for messages. */
export interface StatedGeometry extends Geometry {
  by: string;
}

/** Without flags or a selector that states them. */
export const GEOMETRY_DEFAULTS = { imageSize: 224, patchSize: 16, channels: 3 } as const;

/** The geometry flags given (absent where not given), each checked. */
function givenGeometry(flags: SourceFlags): Partial<Geometry> {
  const out: Partial<Geometry> = {};
  if (flags.imageSize !== undefined) {
    const [h, w] = flags.imageSize.split(/[x×]/).map((t) => optionalNumber('image-size', t) as number);
    out.imageSize = [h, w ?? h];
  }
  if (flags.patchSize !== undefined) out.patchSize = optionalNumber('patch-size', flags.patchSize);
  if (flags.channels !== undefined) {
    const channels = optionalNumber('channels', flags.channels);
    if (channels !== 1 && channels !== 3) throw new InputError(`--channels must be 1 or 3, got ${show(flags.channels)}`);
    out.channels = channels;
  }
  return out;
}

const FLAG_TEXT: Record<keyof Geometry, [flag: string, what: string, show: (g: Geometry) => string]> = {
  imageSize: ['--image-size', 'image size', (g) => g.imageSize.join('×')],
  patchSize: ['--patch-size', 'patch size', (g) => String(g.patchSize)],
  channels: ['--channels', 'channel count', (g) => String(g.channels)],
};

/**
 * Each geometry field: the flag when given, else what the selector states, else the default. A
 * flag that contradicts the selector is an InputError naming both values (the model takes nothing else).
 */
export function resolveGeometry(flags: SourceFlags, stated?: StatedGeometry): Geometry {
  const given = givenGeometry(flags);
  const d = GEOMETRY_DEFAULTS;
  const geometry: Geometry = {
    imageSize: given.imageSize ?? stated?.imageSize ?? [d.imageSize, d.imageSize],
    patchSize: given.patchSize ?? stated?.patchSize ?? d.patchSize,
    channels: given.channels ?? stated?.channels ?? d.channels,
  };
  if (stated) {
    for (const key of Object.keys(FLAG_TEXT) as (keyof Geometry)[]) {
      const [flag, what, text] = FLAG_TEXT[key];
      if (given[key] !== undefined && text(geometry) !== text(stated)) {
        throw new InputError(`${flag} ${text(geometry)} contradicts the ${what} ${text(stated)} of the selector (${stated.by}); omit ${flag} to use the selector's`);
      }
    }
  }
  return geometry;
}

/** The patchify config of the flags; `stated`: the selector's geometry, used where a flag is not given. */
export function patchifyConfig(flags: SourceFlags, stated?: StatedGeometry): PatchifyConfig {
  const resize = flags.resize === undefined ? {} : resizeFields(parseResize(flags.resize));
  const { imageSize, patchSize, channels } = resolveGeometry(flags, stated);
  if (channels !== 1 && channels !== 3) throw new InputError(`the selector (${stated?.by}) takes ${channels} channels; images have 1 or 3`);
  return resolvePatchifyConfig({
    imageSize,
    patchSize,
    channels,
    ...resize,
    ...(flags.smallImages !== undefined ? { smallImages: flags.smallImages as PatchifyConfig['smallImages'] } : {}),
  });
}
