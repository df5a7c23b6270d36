/**
 * `makeCluttered`: Fashion-MNIST items on a background, written as IDX files that the `idx` source
 * reads: `train-*` from Fashion-MNIST's training split, `t10k-*` from its test split (item i of the
 * output is item i of the split), each with its object masks (`*-masks-idx3-ubyte.gz`, [N, S, S],
 * uint8, 1 on the item's pixels), plus `cluttered.json` recording how they were made.
 * Backgrounds (backgrounds.ts): `textures` (crops of texture photos) or `soup` (cells of the
 * split's other items). The same inputs and options give the same bytes.
 */
import { join } from 'node:path';
import { readIdx, type IdxArray } from '../sources/idx_format.js';
import { InputError, show } from '../util/errors.js';
import { mkdirp, writeFileAtomic } from '../util/fsx.js';
import { sha256Hex } from '../util/hash.js';
import { resolveBackground, type BackgroundOptions, type ResolvedBackground } from './backgrounds.js';
import { encodeIdxGz } from './idx-write.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const PROVENANCE_FILE = 'cluttered.json';

export interface ClutteredOptions extends BackgroundOptions {
  /** Directory with Fashion-MNIST's IDX files (`train-images-idx3-ubyte.gz`, …). */
  fashion?: string;
  out: string;
  seed?: number;
  /** Training images (the first `count` of Fashion-MNIST's 60,000). Default: all. */
  count?: number;
  /** Test images (the first `testCount` of its 10,000). Default: all. */
  testCount?: number;
  /** Return the pixels of this many first training images (for a preview sheet). Default 0. */
  preview?: number;
}

export interface SplitResult {
  split: 'train' | 'test';
  count: number;
  /** File name → sha256 of its bytes. */
  files: Record<string, string>;
}

const SPLITS = [
  { split: 'train', prefix: 'train', salt: 1 },
  { split: 'test', prefix: 't10k', salt: 2 },
] as const;

type SplitSpec = (typeof SPLITS)[number];

/** The object-mask file of a split (`train` or `t10k`), beside its images. */
export const maskFileName = (prefix: 'train' | 't10k'): string => `${prefix}-masks-idx3-ubyte.gz`;

function checkCount(name: string, v: number | undefined, max: number): number {
  if (v === undefined) return max;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new InputError(`${name} = ${show(v)} is outside 1..${max}`);
  return v;
}

interface SplitInput {
  spec: SplitSpec;
  images: IdxArray;
  labels: IdxArray;
}

async function readSplit(dir: string, spec: SplitSpec): Promise<SplitInput> {
  const images = await readIdx(join(dir, `${spec.prefix}-images-idx3-ubyte.gz`), 3);
  const labels = await readIdx(join(dir, `${spec.prefix}-labels-idx1-ubyte.gz`), 1);
  const [n, h, w] = images.dims;
  if (h !== w || h < 1) throw new InputError(`items are ${h}×${w}; they must be square`, { file: images.file });
  if (labels.dims[0] !== n) throw new InputError(`${labels.dims[0]} labels for ${n} images`, { file: labels.file });
  return { spec, images, labels };
}

/** Composes and writes one split; returns what it wrote and the composed pixels. */
async function makeSplit(o: ClutteredOptions, s: SplitInput, bg: ResolvedBackground, seed: number): Promise<{ result: SplitResult; pixels: Uint8Array }> {
  const [n, side] = s.images.dims;
  if (side > bg.size) throw new InputError(`items are ${side}×${side}; they must fit the ${bg.size}×${bg.size} output`, { file: s.images.file });
  const train = s.spec.split === 'train';
  const count = checkCount(train ? 'count' : 'testCount', train ? o.count : o.testCount, n);
  const { pixels, masks } = bg.composeSplit({ data: s.images.data, side, total: n, salt: s.spec.salt }, count, seed);
  const files: Record<string, string> = {};
  const write = async (name: string, bytes: Uint8Array): Promise<void> => {
    await writeFileAtomic(join(o.out, name), bytes);
    files[name] = sha256Hex(bytes);
  };
  const dims = [count, bg.size, bg.size];
  await write(`${s.spec.prefix}-images-idx3-ubyte.gz`, encodeIdxGz(dims, pixels));
  await write(`${s.spec.prefix}-labels-idx1-ubyte.gz`, encodeIdxGz([count], s.labels.data.subarray(0, count)));
  await write(maskFileName(s.spec.prefix), encodeIdxGz(dims, masks));
  return { result: { split: s.spec.split, count, files }, pixels };
}

export interface ClutteredResult {
  out: string;
  /** Output side S in pixels. */
  size: number;
  splits: SplitResult[];
  /** The first min(`preview`, count) training images, S·S bytes each. */
  preview: Uint8Array;
}

export async function makeCluttered(o: ClutteredOptions): Promise<ClutteredResult> {
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`seed = ${show(seed)} is not a non-negative integer`);
  const dir = o.fashion ?? FASHION_MNIST_DIR;
  const inputs = [await readSplit(dir, SPLITS[0]), await readSplit(dir, SPLITS[1])];
  const side = inputs[0].images.dims[1];
  if (inputs[1].images.dims[1] !== side) throw new InputError(`test items are ${inputs[1].images.dims[1]} px, training items ${side} px`, { file: inputs[1].images.file });
  const bg = await resolveBackground(o, side);
  await mkdirp(o.out); // an IoError naming the directory; node's recursive mkdir never ends under /proc
  const splits: SplitResult[] = [];
  let preview = new Uint8Array(0);
  for (const s of inputs) {
    const { result, pixels } = await makeSplit(o, s, bg, seed);
    splits.push(result);
    if (s.spec.split === 'train') preview = pixels.slice(0, Math.min(o.preview ?? 0, result.count) * bg.size * bg.size);
  }
  const provenance = { generator: 'dlth make-cluttered', version: 2, seed, background: bg.background, ...bg.describe(), splits };
  await writeFileAtomic(join(o.out, PROVENANCE_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
  return { out: o.out, size: bg.size, splits, preview };
}
