/** `dlth preview <dataset>`: a PNG contact sheet of a ticket dataset (kept patches, labels). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { PREVIEW_DEFAULTS, writePreview } from '../preview/index.js';
import { InputError, show } from '../util/errors.js';
import { isHttpUrl, openStore } from '../loader/store/index.js';

interface PreviewFlags {
  n: string;
  out: string;
  columns?: string;
  tileSize: string;
}

function int(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new InputError(`--${flag} is ${show(text)}, expected a positive integer`);
  return v;
}

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('write a contact sheet of a ticket dataset: kept patches shown, dropped ones hatched, a label per image')
    .argument('<dataset>', 'ticket dataset directory or http(s) URL')
    .option('-n, --n <count>', 'images (the first n rows)', String(PREVIEW_DEFAULTS.n))
    .option('-o, --out <file>', 'output PNG', 'preview.png')
    .option('--columns <n>', 'tiles per row (default: near-square grid)')
    .option('--tile-size <px>', 'approximate tile size; small images are upscaled by an integer factor', String(PREVIEW_DEFAULTS.tileSize))
    .action(async (dataset: string, flags: PreviewFlags) => {
      const r = await writePreview(openStore(isHttpUrl(dataset) ? dataset : resolve(dataset)), {
        n: int('n', flags.n),
        out: resolve(flags.out),
        tileSize: int('tile-size', flags.tileSize),
        ...(flags.columns !== undefined ? { columns: int('columns', flags.columns) } : {}),
      });
      process.stdout.write(`dlth preview: ${r.tiles} images, ${r.width}×${r.height} px → ${r.file}\n`);
    });
}
