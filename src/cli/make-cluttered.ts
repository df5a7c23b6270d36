/** `dlth make-cluttered`: Fashion-MNIST items on texture photos, as IDX files the `idx` source reads. */
import { parseNumber } from './numbers.js';
import { localPath } from '../util/local-path.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { COMPOSE_DEFAULTS, FASHION_MNIST_DIR, makeCluttered, writeGraySheet } from '../synth/index.js';

interface Flags {
  out: string;
  fashion: string;
  textures?: string;
  seed: string;
  count?: string;
  testCount?: string;
  size: string;
  contrast: string;
  opaqueAt: string;
  align: string;
  preview?: string;
}

/** Training images on the --preview sheet. */
const PREVIEW_IMAGES = 32;

const num = (flag: string, text: string, integer: boolean): number => parseNumber(flag, text, { integer });

export function registerMakeCluttered(program: Command): void {
  program
    .command('make-cluttered')
    .description("write a cluttered Fashion-MNIST (items at seeded random positions on texture photos) as IDX files for the idx source")
    .requiredOption('-o, --out <dir>', 'output directory (train-*/t10k-* IDX files and cluttered.json)')
    .option('--fashion <dir>', "Fashion-MNIST's IDX files", FASHION_MNIST_DIR)
    .option('--textures <dir>', 'texture photos (*.pgm, *.pgm.gz); default: the package\'s data/textures')
    .option('--seed <n>', 'seed of every random choice', '0')
    .option('--count <n>', 'training images (the first n of the training split; default all 60,000)')
    .option('--test-count <n>', 'test images (the first n of the test split; default all 10,000)')
    .option('--size <px>', 'output side in pixels', String(COMPOSE_DEFAULTS.size))
    .option('--contrast <x>', "scale of the texture's contrast", String(COMPOSE_DEFAULTS.contrast))
    .option('--opaque-at <v>', 'item intensity from which the item is opaque', String(COMPOSE_DEFAULTS.opaqueAt))
    .option('--align <px>', 'item offsets are multiples of this (e.g. the patch size: items on the patch grid)', String(COMPOSE_DEFAULTS.align))
    .option('--preview <png>', 'also write a contact sheet of the first 32 training images')
    .action(async (flags: Flags) => {
      const out = localPath('--out', flags.out);
      const size = num('size', flags.size, true);
      const r = await makeCluttered({
        out,
        fashion: resolve(flags.fashion),
        ...(flags.textures !== undefined ? { textures: resolve(flags.textures) } : {}),
        seed: num('seed', flags.seed, true),
        ...(flags.count !== undefined ? { count: num('count', flags.count, true) } : {}),
        ...(flags.testCount !== undefined ? { testCount: num('test-count', flags.testCount, true) } : {}),
        size,
        contrast: num('contrast', flags.contrast, false),
        opaqueAt: num('opaque-at', flags.opaqueAt, false),
        align: num('align', flags.align, true),
        preview: flags.preview !== undefined ? PREVIEW_IMAGES : 0,
      });
      for (const s of r.splits) process.stdout.write(`dlth make-cluttered: ${s.split}: ${s.count} images of ${size}×${size} → ${out}\n`);
      if (flags.preview !== undefined) {
        const n = r.preview.length / (size * size); // the images just composed, not read back from the file
        await writeGraySheet(r.preview, size, n, localPath('--preview', flags.preview));
        process.stdout.write(`dlth make-cluttered: preview of ${n} images → ${resolve(flags.preview)}\n`);
      }
    });
}
