/**
 * `makeCluttered`: Fashion-MNIST items on texture photos (compose.ts), written as IDX files that
 * the `idx` source reads: `train-*` from Fashion-MNIST's training split, `t10k-*` from its test
 * split (item i of the output is item i of the split), plus `cluttered.json` recording how they were
 * made. The same inputs and options give the same bytes.
 */
import { join } from 'node:path';
import { readIdx } from '../sources/idx_format.js';
import { InputError, show } from '../util/errors.js';
import { mkdirp, writeFileAtomic } from '../util/fsx.js';
import { sha256Hex } from '../util/hash.js';
import { compose, COMPOSE_DEFAULTS, placement, type ComposeConfig, type Texture } from './compose.js';
import { encodeIdxGz } from './idx-write.js';
import { defaultTextureDir, loadTextures } from './textures.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const PROVENANCE_FILE = 'cluttered.json';

export interface ClutteredOptions extends Partial<ComposeConfig> {
  /** Directory with Fashion-MNIST's IDX files (`train-images-idx3-ubyte.gz`, …). */
  fashion?: string;
  /** Directory of texture photos (*.pgm, *.pgm.gz). Default: the package's data/textures. */
  textures?: string;
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
  files: Record<string, string>;
}

const SPLITS = [
  { split: 'train', prefix: 'train', salt: 1 },
  { split: 'test', prefix: 't10k', salt: 2 },
] as const;

function checkCount(name: string, v: number | undefined, max: number): number {
  if (v === undefined) return max;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new InputError(`${name} = ${show(v)} is outside 1..${max}`);
  return v;
}

function resolveCompose(o: ClutteredOptions): ComposeConfig {
  const d = COMPOSE_DEFAULTS;
  const c = { size: o.size ?? d.size, contrast: o.contrast ?? d.contrast, opaqueAt: o.opaqueAt ?? d.opaqueAt, align: o.align ?? d.align };
  if (!Number.isSafeInteger(c.size) || c.size < 28 || c.size > 1024) throw new InputError(`size = ${show(c.size)} is outside 28..1024`);
  if (!(c.contrast >= 0 && c.contrast <= 4)) throw new InputError(`contrast = ${show(c.contrast)} is outside [0, 4]`);
  if (!(c.opaqueAt >= 1 && c.opaqueAt <= 255)) throw new InputError(`opaqueAt = ${show(c.opaqueAt)} is outside [1, 255]`);
  if (!Number.isSafeInteger(c.align) || c.align < 1 || c.align > c.size) throw new InputError(`align = ${show(c.align)} is outside 1..${c.size}`);
  return c;
}

/** Composes `count` images of one split; returns the S·S·count pixels. */
export function composeSplit(items: Uint8Array, side: number, count: number, textures: readonly Texture[], c: ComposeConfig, seed: number, salt: number): Uint8Array {
  const px = c.size * c.size;
  const out = new Uint8Array(count * px);
  for (let i = 0; i < count; i++) {
    const p = placement(seed, salt, i, textures, c.size, side, c.align);
    compose(items.subarray(i * side * side, (i + 1) * side * side), side, textures[p.texture], p, c, out.subarray(i * px, (i + 1) * px));
  }
  return out;
}

/** Composes and writes one split; returns what it wrote and the composed pixels. */
async function makeSplit(o: ClutteredOptions, s: (typeof SPLITS)[number], textures: readonly Texture[], c: ComposeConfig, seed: number): Promise<{ result: SplitResult; pixels: Uint8Array }> {
  const dir = o.fashion ?? FASHION_MNIST_DIR;
  const images = await readIdx(join(dir, `${s.prefix}-images-idx3-ubyte.gz`), 3);
  const labels = await readIdx(join(dir, `${s.prefix}-labels-idx1-ubyte.gz`), 1);
  const [n, h, w] = images.dims;
  if (h !== w || h > c.size) throw new InputError(`items are ${h}×${w}; they must be square and fit the ${c.size}×${c.size} output`, { file: images.file });
  if (labels.dims[0] !== n) throw new InputError(`${labels.dims[0]} labels for ${n} images`, { file: labels.file });
  const count = checkCount(s.split === 'train' ? 'count' : 'testCount', s.split === 'train' ? o.count : o.testCount, n);
  const pixels = composeSplit(images.data, h, count, textures, c, seed, s.salt);
  const files: Record<string, string> = {};
  const write = async (name: string, bytes: Uint8Array): Promise<void> => {
    await writeFileAtomic(join(o.out, name), bytes);
    files[name] = sha256Hex(bytes);
  };
  await write(`${s.prefix}-images-idx3-ubyte.gz`, encodeIdxGz([count, c.size, c.size], pixels));
  await write(`${s.prefix}-labels-idx1-ubyte.gz`, encodeIdxGz([count], labels.data.subarray(0, count)));
  return { result: { split: s.split, count, files }, pixels };
}

export interface ClutteredResult {
  out: string;
  splits: SplitResult[];
  /** The first min(`preview`, count) training images, S·S bytes each. */
  preview: Uint8Array;
}

export async function makeCluttered(o: ClutteredOptions): Promise<ClutteredResult> {
  const c = resolveCompose(o);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`seed = ${show(seed)} is not a non-negative integer`);
  const textures = await loadTextures(o.textures ?? defaultTextureDir(), c.size);
  await mkdirp(o.out); // an IoError naming the directory; node's recursive mkdir never ends under /proc
  const splits: SplitResult[] = [];
  let preview = new Uint8Array(0);
  for (const s of SPLITS) {
    const { result, pixels } = await makeSplit(o, s, textures, c, seed);
    splits.push(result);
    if (s.split === 'train') preview = pixels.slice(0, Math.min(o.preview ?? 0, result.count) * c.size * c.size);
  }
  const provenance = {
    generator: 'dlth make-cluttered',
    version: 1,
    seed,
    compose: c,
    textures: textures.map((t) => ({ name: t.name, width: t.width, height: t.height, sha256: sha256Hex(t.data) })),
    splits,
    rule: 'see src/synth/compose.ts: bg = 128 + contrast·(texture − mean), alpha = min(1, item/opaqueAt), out = round(alpha·item + (1 − alpha)·bg)',
  };
  await writeFileAtomic(join(o.out, PROVENANCE_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
  return { out: o.out, splits, preview };
}
