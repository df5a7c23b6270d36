/**
 * `dlth materialize`: one source → a ticket dataset. Every policy decodes as its reference does:
 * the score dataset's recorded preprocessing (--scores), a selector checkpoint's own
 * (--checkpoint), else the flags; explicit geometry flags must agree with the reference.
 */
import { addEngineOptions, engineOptions, type EngineFlags } from './engine-flags.js';
import { localPath } from '../util/local-path.js';
import { Option, type Command } from 'commander';
import { InputError } from '../util/errors.js';
import { openSource } from '../sources/open.js';
import { materialize } from '../tickets/materialize.js';
import { policyNames } from '../tickets/policies/index.js';
import type { Policy } from '../shards/types.js';
import { DEFAULT_JPEG_QUALITY, PATCH_ENCODINGS, type PatchEncodingName } from '../shards/patch-jpeg.js';
import { formatBytes } from './verify.js';
import { optionalNumber } from './numbers.js';
import { addSourceOptions, patchifyConfig, sourceConfig, type SourceFlags } from './source-flags.js';
import { addPreprocessOptions, preprocessOverrides, type PreprocessFlags } from './preprocess-flags.js';
import type { PatchifyConfig } from '../patchify/types.js';
import type { RequestedGeometry } from '../tickets/decode-as.js';

interface MaterializeFlags extends SourceFlags, PreprocessFlags, EngineFlags {
  policy: string;
  keep?: string;
  k?: string;
  seed: string;
  scores?: string;
  foreignScores?: boolean;
  keepFrom?: 'evit-rate';
  rate?: string;
  rankPrefix?: boolean;
  checkpoint?: string;
  model?: string;
  masks?: string;
  priorMasks?: string;
  patchEncoding: PatchEncodingName;
  jpegQuality?: string;
}

/** The geometry flags the user typed (not commander's defaults): they must agree with --scores / --checkpoint. */
function requestedGeometry(cmd: Command, patchify: PatchifyConfig): RequestedGeometry {
  const typed = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
  return {
    ...(typed('imageSize') ? { imageSize: patchify.imageSize } : {}),
    ...(typed('patchSize') ? { patchSize: patchify.patchSize } : {}),
    ...(typed('channels') ? { channels: patchify.channels } : {}),
  };
}



export function registerMaterialize(program: Command): void {
  addEngineOptions(addPreprocessOptions(addSourceOptions(program.command('materialize'))), 'ticket dataset')
    .description('materialize a ticket dataset (Arrow shards + manifest) from an image source')
    .requiredOption('--policy <name>', `ticket policy: ${policyNames().join(' | ')}`)
    .option('--keep <fraction>', 'kept fraction in (0, 1]: k = ceil(keep · N)')
    .option('--k <n>', 'explicit number of kept patches')
    .addOption(new Option('--keep-from <how>', 'policy ticket: derive k from the scores (evit-rate: the EViT chain\'s survivor count, so the ticket is exactly that chain\'s)').choices(['evit-rate']))
    .option('--rate <r>', 'policy ticket on EViT scores stored at several rates: the chain to take the ticket from')
    .option('--rank-prefix', 'policy ticket on EViT scores: allow a k other than the chain\'s survivor count (a prefix of its rank, not an EViT ticket; recorded in the metadata)')
    .option('--seed <n>', 'seed of random tickets', '0')
    .option('--scores <dir>', 'score dataset: policy ticket ranks by it; every policy decodes images with its recorded preprocessing (the selector\'s), so full, random, saliency and ticket datasets of one comparison hold the same pixels')
    .option('--checkpoint <path>', 'without --scores: decode images as this selector checkpoint expects them (its HF processor / timm config / dlth config: resize, crop, interpolation, mean/std)')
    .option('--model <variant>', 'with --checkpoint: model variant, for HF/timm files without config.json')
    .option('--masks <idx>', 'policy oracle: IDX file of the source\'s images\' object masks ([N, H, W], nonzero on the object; mask i is image i), e.g. t10k-masks-idx3-ubyte.gz of dlth make-cluttered')
    .option('--prior-masks <idx>', 'policy prior: IDX object masks (e.g. the training split\'s) whose most frequent object positions every image keeps; without it, the positions nearest the grid\'s centre')
    .addOption(new Option('--patch-encoding <how>', 'how rows store their patches: raw bytes, or one JPEG per row laid out so that no JPEG block crosses a patch border (lossy, several times smaller; docs/compression.md)').choices(PATCH_ENCODINGS).default('raw'))
    .option('--jpeg-quality <q>', `with --patch-encoding jpeg: quality 1–100 (default ${DEFAULT_JPEG_QUALITY})`)
    .option('--foreign-scores', 'accept scores made from another copy of the source (another lab\'s): every image is checked against its recorded content hash; mismatches go to errors.jsonl')
    .action(async (flags: MaterializeFlags, cmd: Command) => {
      if (flags.model !== undefined && flags.checkpoint === undefined) throw new InputError('--model names the variant of a --checkpoint: give --checkpoint too');
      // With scores, materialize decodes exactly as the selector saw the images (the score dataset's recorded preprocessing).
      const patchify = patchifyConfig(flags);
      const preprocessing = preprocessOverrides(flags);
      const config = sourceConfig(flags);
      const source = await openSource(config);
      const r = await materialize({
        source,
        patchify,
        preprocessing,
        requested: requestedGeometry(cmd, patchify),
        ...(flags.checkpoint !== undefined ? { checkpoint: { checkpoint: localPath('--checkpoint', flags.checkpoint), ...(flags.model !== undefined ? { model: flags.model } : {}) } } : {}),
        policy: flags.policy as Policy,
        k: optionalNumber('k', flags.k),
        keep: optionalNumber('keep', flags.keep),
        keepFrom: flags.keepFrom,
        rate: optionalNumber('rate', flags.rate),
        rankPrefix: flags.rankPrefix ?? false,
        seed: optionalNumber('seed', flags.seed),
        scores: flags.scores === undefined ? undefined : localPath('--scores', flags.scores),
        masks: flags.masks === undefined ? undefined : localPath('--masks', flags.masks),
        priorMasks: flags.priorMasks === undefined ? undefined : localPath('--prior-masks', flags.priorMasks),
        allowForeignScores: flags.foreignScores ?? false,
        patchEncoding: flags.patchEncoding,
        ...(flags.jpegQuality !== undefined ? { jpegQuality: optionalNumber('jpeg-quality', flags.jpegQuality) } : {}),
        split: config.kind === 'idx' ? config.split : undefined,
        engine: engineOptions(flags),
      });
      if (r.upToDate) {
        process.stdout.write(`dlth materialize: ${r.dir} is up to date (same configuration, shards verified): ${r.rows} rows in ${r.shards} shards reused, nothing recomputed\n`);
        return;
      }
      process.stdout.write(`dlth materialize: ${r.rows} rows in ${r.shards} shards (${r.reused} reused), ${formatBytes(r.bytes)}, ${r.failures} failed → ${r.dir}\n`);
    });
}
