/** `dlth make-cluttered`: Fashion-MNIST items on a background (texture photos or a patch soup), as IDX files the `idx` source reads, with object masks. */
import { optionalNumber, parseNumber } from './numbers.js';
import { localPath } from '../util/local-path.js';
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { Background, SOUP_DEFAULTS } from '../synth/backgrounds.js';
import { FASHION_MNIST_DIR, makeCluttered } from '../synth/cluttered.js';
import { COMPOSE_DEFAULTS } from '../synth/compose.js';
import { writeGraySheet } from '../synth/preview.js';

interface Flags {
  out: string;
  fashion: string;
  background: Background;
  textures?: string;
  seed: string;
  count?: string;
  testCount?: string;
  size?: string;
  contrast?: string;
  opaqueAt?: string;
  align?: string;
  overhang?: string;
  preview?: string;
}

/** Training images on the --preview sheet. */
const PREVIEW_IMAGES = 32;

const num = (flag: string, text: string, integer: boolean): number => parseNumber(flag, text, { integer });
/** A numeric flag without a commander default: the library holds the defaults, which differ per background. */
const opt = (flag: string, text: string | undefined, integer: boolean): number | undefined => optionalNumber(flag, text, { integer });

export function registerMakeCluttered(program: Command): void {
  program
    .command('make-cluttered')
    .description('write a cluttered Fashion-MNIST (items at seeded positions on texture photos, or in a soup of other items\' cells) as IDX files for the idx source, with object masks')
    .requiredOption('-o, --out <dir>', 'output directory (train-*/t10k-* IDX images, labels and masks, and cluttered.json)')
    .option('--fashion <dir>', "Fashion-MNIST's IDX files", FASHION_MNIST_DIR)
    .addOption(new Option('--background <kind>', 'textures: crops of texture photos; soup: every cell outside the item a random cell of another item of the split').choices(Object.values(Background)).default(Background.Textures))
    .option('--textures <dir>', 'textures: texture photos (*.pgm, *.pgm.gz); default: the package\'s data/textures')
    .option('--seed <n>', 'seed of every random choice', '0')
    .option('--count <n>', 'training images (the first n of the training split; default all 60,000)')
    .option('--test-count <n>', 'test images (the first n of the test split; default all 10,000)')
    .option('--size <px>', `output side in pixels (default: textures ${COMPOSE_DEFAULTS.size}, soup ${SOUP_DEFAULTS.size})`)
    .option('--contrast <x>', `textures: scale of the texture's contrast (default ${COMPOSE_DEFAULTS.contrast})`)
    .option('--opaque-at <v>', `textures: item intensity from which the item is opaque (default ${COMPOSE_DEFAULTS.opaqueAt})`)
    .option('--align <px>', `item offsets are multiples of this; soup: the cell side, dividing the item's 28 px (default: textures ${COMPOSE_DEFAULTS.align}, soup ${SOUP_DEFAULTS.align})`)
    .option('--overhang <cells>', `soup: item rows/columns that may lie off the canvas on each side (default ${SOUP_DEFAULTS.overhang})`)
    .option('--preview <png>', 'also write a contact sheet of the first 32 training images')
    .action(async (flags: Flags) => {
      const out = localPath('--out', flags.out);
      const r = await makeCluttered({
        out,
        fashion: resolve(flags.fashion),
        background: flags.background,
        ...(flags.textures !== undefined ? { textures: resolve(flags.textures) } : {}),
        seed: num('seed', flags.seed, true),
        count: opt('count', flags.count, true),
        testCount: opt('test-count', flags.testCount, true),
        size: opt('size', flags.size, true),
        contrast: opt('contrast', flags.contrast, false),
        opaqueAt: opt('opaque-at', flags.opaqueAt, false),
        align: opt('align', flags.align, true),
        overhang: opt('overhang', flags.overhang, true),
        preview: flags.preview !== undefined ? PREVIEW_IMAGES : 0,
      });
      const size = r.size;
      for (const s of r.splits) process.stdout.write(`dlth make-cluttered: ${s.split}: ${s.count} images of ${size}×${size} and their masks → ${out}\n`);
      if (flags.preview !== undefined) {
        const n = r.preview.length / (size * size); // the images just composed, not read back from the file
        await writeGraySheet(r.preview, size, n, localPath('--preview', flags.preview));
        process.stdout.write(`dlth make-cluttered: preview of ${n} images → ${resolve(flags.preview)}\n`);
      }
    });
}
