/**
 * `dlth preview <dataset>`: a PNG contact sheet of a ticket dataset (kept patches, labels). With
 * --source (and --root/--file/--split as for `dlth score`), the images the dataset was made from:
 * dropped patches are shown dimmed and hatched instead of plain hatched grey. With --masks (an IDX
 * file of the source images' object masks, mask i = image i), each image's object is outlined. A
 * dataset with views shows each image as a row of its K views (--image picks the images).
 */
import { parseNumber } from './numbers.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { PREVIEW_DEFAULTS, writePreview } from '../preview/write.js';
import { openSource } from '../sources/open.js';
import type { Source } from '../sources/types.js';
import { InputError, show } from '../util/errors.js';
import { datasetLocation, openStore } from '../loader/store/index.js';
import { openDataset } from '../shards/reader.js';
import type { DatasetStore } from '../shards/store.js';
import { addSourceLocationOptions, sourceConfig, type SourceFlags } from './source-flags.js';

interface PreviewFlags extends Omit<SourceFlags, 'source'> {
  source?: string;
  n: string;
  out: string;
  columns?: string;
  tileSize: string;
  sample: string;
  seed: string;
  masks?: string;
  image?: string[];
}

const int = (flag: string, text: string, min = 1): number => parseNumber(flag, text, { integer: true, min });

function badSample(text: string): never {
  throw new InputError(`--sample is ${show(text)}, expected spread or first`);
}

/** The source named by --source (--split defaults to the dataset's split), or undefined without --source. */
async function previewSource(flags: PreviewFlags, store: DatasetStore): Promise<Source | undefined> {
  if (flags.source === undefined) return undefined;
  const split = flags.split ?? (await openDataset(store)).meta.source.split;
  return openSource(sourceConfig({ ...flags, source: flags.source, split }));
}

export function registerPreview(program: Command): void {
  addSourceLocationOptions(program.command('preview'), 'idx | imagefolder | jsonl: the images the dataset was made from (with --root/--file as for score; --split defaults to the dataset\'s): dropped patches are then shown dimmed, not blank')
    .description('write a contact sheet of a ticket dataset: kept patches shown, dropped ones hatched (dimmed image pixels with --source), a label per image')
    .argument('<dataset>', 'ticket dataset directory or http(s) URL')
    .option('-n, --n <count>', 'images', String(PREVIEW_DEFAULTS.n))
    .option('--sample <how>', 'spread (a seeded sample across classes) | first (the first n rows)', 'spread')
    .option('--seed <n>', 'seed of the spread sample', '0')
    .option('-o, --out <file>', 'output PNG', 'preview.png')
    .option('--columns <n>', 'tiles per row (default: near-square grid)')
    .option('--tile-size <px>', 'approximate tile size; small images are upscaled by an integer factor', String(PREVIEW_DEFAULTS.tileSize))
    .option('--image <id...>', 'datasets with views: show these images (ids), each as a row of its K views with their tickets (default: n images as --sample picks)')
    .option('--masks <idx>', 'IDX file of the object masks of the dataset\'s idx source images (mask i = image i of the file, e.g. t10k-masks-idx3-ubyte.gz): each object is outlined')
    .action(async (dataset: string, flags: PreviewFlags) => {
      const store = openStore(datasetLocation(dataset));
      const source = await previewSource(flags, store);
      const r = await writePreview(store, {
        ...(source ? { source } : {}),
        n: int('n', flags.n),
        out: resolve(flags.out),
        tileSize: int('tile-size', flags.tileSize),
        sample: flags.sample === 'first' || flags.sample === 'spread' ? flags.sample : badSample(flags.sample),
        seed: int('seed', flags.seed, 0),
        ...(flags.columns !== undefined ? { columns: int('columns', flags.columns) } : {}),
        ...(flags.masks !== undefined ? { masks: resolve(flags.masks) } : {}),
        ...(flags.image !== undefined ? { ids: flags.image } : {}),
      });
      process.stdout.write(`dlth preview: ${r.tiles} images, ${r.width}×${r.height} px → ${r.file}\n`);
    });
}
