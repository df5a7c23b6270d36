/**
 * One typed patchify config, one defaults object, one `resolvePatchifyConfig` that copies, fills
 * defaults and throws InputError (naming the field and value) on anything out of range.
 */
import { hint, type Setting } from '../sources/hints.js';
import { InputError, show } from '../util/errors.js';
import { Interpolation, ResizeMode, SmallImages, type PatchifyConfig } from './types.js';

/** What callers may pass: the image and patch size are required, everything else has a default. */
export type PatchifyConfigInput = Partial<Omit<PatchifyConfig, 'imageSize'>> & {
  imageSize: number | [number, number];
  patchSize: number;
};

/** ImageNet statistics (timm's IMAGENET_DEFAULT_MEAN / _STD) for RGB. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
/** Fashion-MNIST statistics (pixel mean and std over the training set, rounded) for grayscale. */
export const FASHION_MNIST_MEAN = [0.286];
export const FASHION_MNIST_STD = [0.353];

export const PATCHIFY_DEFAULTS = {
  channels: 3,
  resize: ResizeMode.Deit,
  cropPct: 0.875,
  background: [255, 255, 255],
  /**
   * 100 megapixels: above any ordinary camera photo, and it bounds one decode to about 300 MB of
   * RGB pixels, so a few concurrent decodes cannot exhaust memory. sharp checks the header before
   * decoding, so a decompression bomb (a tiny file declaring 100k × 100k) is rejected without cost.
   */
  limitInputPixels: 100_000_000,
  interpolation: Interpolation.Cubic,
} as const;

/** Largest accepted target side: far above any ViT input, well below what would exhaust memory. */
const MAX_IMAGE_SIDE = 8192;

/** The field named as the user of the surface types it: `--patch-size` on the CLI, `patchify.patchSize` in a pipeline. */
function bad(field: Setting, value: unknown, expected: string): InputError {
  return new InputError(`${hint(field)} is ${show(value)}, expected ${expected}`);
}

function isInt(v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function resolveSize(size: unknown): [number, number] {
  const pair = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => isInt(v, 1, MAX_IMAGE_SIDE))) {
    throw bad('imageSize', size, `an integer or [height, width] of integers in 1..${MAX_IMAGE_SIDE}`);
  }
  return [pair[0] as number, pair[1] as number];
}

function resolveStats(field: 'mean' | 'std', value: unknown, channels: number, fallback: number[]): number[] {
  const v = value ?? fallback;
  const ok = Array.isArray(v) && v.length === channels && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!ok || (field === 'std' && v.some((x: number) => x <= 0))) {
    throw bad(field, value, `${channels} finite numbers${field === 'std' ? ' > 0' : ''} (one per channel)`);
  }
  return [...v];
}

/** resizeTo ('fixed'), shortestEdge ('shorter'), cropRounding and pilParity, present only when set. */
function resolveResizeExtras(input: PatchifyConfigInput, imageSize: [number, number], resize: string): Pick<PatchifyConfig, 'resizeTo' | 'shortestEdge' | 'cropRounding' | 'pilParity'> {
  const out: Pick<PatchifyConfig, 'resizeTo' | 'shortestEdge' | 'cropRounding' | 'pilParity'> = {};
  if (input.resizeTo !== undefined) {
    const r = input.resizeTo;
    const ok = Array.isArray(r) && r.length === 2 && r.every((v) => isInt(v, 1, MAX_IMAGE_SIDE)) && r[0] >= imageSize[0] && r[1] >= imageSize[1];
    if (!ok || resize !== 'fixed') throw bad('resizeTo', r, `[height, width] ≥ the image size ${imageSize.join('×')}, with resize 'fixed'`);
    out.resizeTo = [r[0], r[1]];
  }
  if (input.shortestEdge !== undefined) {
    const e = input.shortestEdge;
    if (!isInt(e, Math.max(...imageSize), MAX_IMAGE_SIDE) || resize !== 'shorter') throw bad('shortestEdge', e, `an integer ≥ ${Math.max(...imageSize)}, with resize 'shorter'`);
    out.shortestEdge = e;
  }
  if (input.pilParity !== undefined) {
    if (typeof input.pilParity !== 'boolean') throw bad('pilParity', input.pilParity, 'true or false');
    if (input.pilParity) out.pilParity = true;
  }
  if (input.cropRounding !== undefined) {
    if (input.cropRounding !== 'round' && input.cropRounding !== 'floor') throw bad('cropRounding', input.cropRounding, "'round' or 'floor'");
    out.cropRounding = input.cropRounding;
  }
  return out;
}

export function resolvePatchifyConfig(input: PatchifyConfigInput): PatchifyConfig {
  const imageSize = resolveSize(input.imageSize);
  const { patchSize } = input;
  if (!isInt(patchSize, 1, MAX_IMAGE_SIDE)) throw bad('patchSize', patchSize, 'a positive integer');
  if (imageSize[0] % patchSize !== 0 || imageSize[1] % patchSize !== 0) {
    throw bad('patchSize', patchSize, `a divisor of the image size ${imageSize[0]}×${imageSize[1]}`);
  }
  const channels = input.channels ?? PATCHIFY_DEFAULTS.channels;
  if (channels !== 1 && channels !== 3) throw bad('channels', channels, '1 (grayscale) or 3 (RGB)');
  const resize = input.resize ?? PATCHIFY_DEFAULTS.resize;
  if (!Object.values<string>(ResizeMode).includes(resize)) {
    throw bad('resize', resize, `one of ${Object.values(ResizeMode).join(', ')}`);
  }
  const cropPct = input.cropPct ?? PATCHIFY_DEFAULTS.cropPct;
  if (typeof cropPct !== 'number' || !(cropPct > 0 && cropPct <= 1)) throw bad('cropPct', cropPct, 'a number in (0, 1]');
  const background = input.background ?? [...PATCHIFY_DEFAULTS.background];
  if (!Array.isArray(background) || background.length !== 3 || !background.every((v) => isInt(v, 0, 255))) {
    throw bad('background', background, 'three integers in 0..255 (RGB)');
  }
  const limitInputPixels = input.limitInputPixels ?? PATCHIFY_DEFAULTS.limitInputPixels;
  if (!isInt(limitInputPixels, 1)) throw bad('limitInputPixels', limitInputPixels, 'a positive integer');
  const interpolation = input.interpolation ?? PATCHIFY_DEFAULTS.interpolation;
  if (!Object.values<string>(Interpolation).includes(interpolation)) {
    throw bad('interpolation', interpolation, `one of ${Object.values(Interpolation).join(', ')}`);
  }
  const smallImages = input.smallImages;
  if (smallImages !== undefined && !Object.values<string>(SmallImages).includes(smallImages)) {
    throw bad('smallImages', smallImages, `one of ${Object.values(SmallImages).join(', ')}`);
  }
  const rgb = channels === 3;
  const extra = resolveResizeExtras(input, imageSize, resize);
  return {
    ...extra,
    imageSize,
    patchSize,
    channels,
    resize,
    cropPct,
    background: [background[0], background[1], background[2]],
    limitInputPixels,
    mean: resolveStats('mean', input.mean, channels, rgb ? IMAGENET_MEAN : FASHION_MNIST_MEAN),
    std: resolveStats('std', input.std, channels, rgb ? IMAGENET_STD : FASHION_MNIST_STD),
    interpolation,
    // Only when given: configs (and the fingerprints made from them) without it stay as they were.
    ...(smallImages !== undefined ? { smallImages } : {}),
  };
}
