/**
 * Decoding with sharp: the only file that imports it. One sharp pipeline per image does
 * orientation → resize → centre crop → alpha flattening → colour conversion → raw 8-bit pixels, so
 * libvips never materialises the full-size image (JPEG shrink-on-load, sequential read).
 *
 * The resize plan needs the oriented source size first: read from the JPEG markers (jpeg_header.ts)
 * or, for other formats, from sharp's metadata(). The pipeline's own limitInputPixels still guards.
 *
 * sharp settings (applied once, before the first decode; `configureDecoder` overrides them):
 * - `sharp.concurrency(1)`: one libvips thread per image. We decode several images at once
 *   (mapConcurrent), which already keeps every core busy; extra threads per image only contend
 *   for the same cores on small photos.
 * - `sharp.cache(false)`: every image is opened once, so libvips' operation cache only holds memory.
 */
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { ImageError, InputError } from '../util/errors.js';
import type { ImagePayload, RawImage } from '../sources/types.js';
import { cropRaw, planTransform, type Region, type TransformPlan } from './transform.js';
import { readJpegHeader } from './jpeg_header.js';
import { checkImageSize } from './small.js';
import type { PatchifyConfig } from './types.js';

export type DecodeConfig = Pick<
  PatchifyConfig,
  'imageSize' | 'resize' | 'cropPct' | 'resizeTo' | 'shortestEdge' | 'cropRounding' | 'pilParity' | 'channels' | 'background' | 'limitInputPixels' | 'interpolation' | 'smallImages'
>;

let configured = false;

/** Sets libvips threads per image (default 1) and disables its cache; see the file comment. */
export function configureDecoder(options: { threadsPerImage?: number } = {}): void {
  sharp.concurrency(options.threadsPerImage ?? 1);
  sharp.cache(false);
  configured = true;
}

function ensureConfigured(): void {
  if (!configured) configureDecoder();
}

/** Turns a sharp/libvips failure into an ImageError with a short reason. */
function imageError(err: unknown, file: string): ImageError {
  const msg = err instanceof Error ? err.message : String(err);
  let reason: string;
  if (/buffer is empty/i.test(msg)) reason = 'empty file (0 bytes)';
  else if (/unsupported image format/i.test(msg)) reason = 'not an image (unrecognised format)';
  else if (/pixel limit/i.test(msg)) reason = 'over the pixel limit (decompression-bomb guard)';
  else if (/premature end|truncat|unexpected end|short read|EOF/i.test(msg)) reason = `truncated: ${msg}`;
  else reason = `corrupt or undecodable: ${msg}`;
  return new ImageError(reason, { file, cause: err });
}

function plan(width: number, height: number, config: DecodeConfig, file: string): TransformPlan {
  if (config.resize !== 'none') checkImageSize(width, height, config, file);
  try {
    return planTransform(width, height, config, file);
  } catch (err) {
    if (err instanceof InputError) throw new ImageError(err.message.replace(`${file}: `, ''), { file, cause: err });
    throw err;
  }
}

/** The shared tail of both pipelines: resize, crop, flatten, colour, raw. */
async function run(pipe: Sharp, p: TransformPlan, config: DecodeConfig, hasAlpha: boolean): Promise<RawImage> {
  if (p.resize) pipe = pipe.resize(p.resize.width, p.resize.height, { fit: 'fill', kernel: config.interpolation ?? 'cubic', fastShrinkOnLoad: config.pilParity !== true });
  if (p.crop) pipe = pipe.extract(p.crop);
  if (hasAlpha) {
    const [r, g, b] = config.background;
    pipe = pipe.flatten({ background: { r, g, b } });
  }
  pipe = pipe.toColourspace(config.channels === 1 ? 'b-w' : 'srgb');
  const { data, info } = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as RawImage['channels'], data };
}

function checkOutput(image: RawImage, config: DecodeConfig, file: string): RawImage {
  const [h, w] = config.imageSize;
  if (image.width !== w || image.height !== h || image.channels !== config.channels) {
    throw new ImageError(
      `decoder produced ${image.width}×${image.height}×${image.channels}, expected ${w}×${h}×${config.channels}`,
      { file },
    );
  }
  return image;
}

interface Header {
  width: number;
  height: number;
  hasAlpha: boolean;
  /** Read by jpeg_header.ts rather than libvips. */
  fromMarkers: boolean;
}

/** Oriented size and alpha: from the JPEG markers when possible, else from sharp's metadata(). */
async function readHeader(file: string, bytes: Uint8Array, input: SharpOptions, markers: boolean): Promise<Header> {
  const jpeg = markers ? readJpegHeader(bytes) : null;
  if (jpeg) {
    const swap = jpeg.orientation >= 5;
    return { width: swap ? jpeg.height : jpeg.width, height: swap ? jpeg.width : jpeg.height, hasAlpha: false, fromMarkers: true };
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, input).metadata();
  } catch (err) {
    throw imageError(err, file);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new ImageError('no image dimensions in the header', { file });
  return { width, height, hasAlpha: !!meta.hasAlpha, fromMarkers: false };
}

async function decodeEncoded(file: string, bytes: Uint8Array, config: DecodeConfig, markers = true): Promise<RawImage> {
  if (bytes.length === 0) throw new ImageError('empty file (0 bytes)', { file });
  const input: SharpOptions = { limitInputPixels: config.limitInputPixels, failOn: 'error', autoOrient: true, ...(config.pilParity ? { ignoreIcc: true } : {}) };
  const { width, height, hasAlpha, fromMarkers } = await readHeader(file, bytes, input, markers);
  if (width * height > config.limitInputPixels) {
    throw new ImageError(`over the pixel limit: ${width}×${height} > ${config.limitInputPixels} pixels`, { file });
  }
  const p = plan(width, height, config, file);
  try {
    return checkOutput(await run(sharp(bytes, { ...input, sequentialRead: true }), p, config, hasAlpha), config, file);
  } catch (err) {
    // The markers may disagree with libvips on an odd file: retry once with libvips' own header.
    if (fromMarkers) return decodeEncoded(file, bytes, config, false);
    throw err instanceof ImageError ? err : imageError(err, file);
  }
}

async function decodeRaw(file: string, image: RawImage, config: DecodeConfig): Promise<RawImage> {
  const p = plan(image.width, image.height, config, file);
  if (!p.resize && image.channels === config.channels) return p.crop ? cropRaw(image, p.crop) : image;
  const { width, height, channels } = image;
  try {
    const pipe = sharp(image.data, { raw: { width, height, channels } });
    return checkOutput(await run(pipe, p, config, channels === 2 || channels === 4), config, file);
  } catch (err) {
    throw err instanceof ImageError ? err : imageError(err, file);
  }
}

/**
 * Decodes a payload to config.imageSize × config.channels raw pixels. A raw payload that needs no
 * resize or colour change never touches sharp (and is returned without a copy when uncropped).
 * Throws ImageError naming the file and the reason.
 */
export async function decodeImage(payload: ImagePayload, config: DecodeConfig): Promise<RawImage> {
  ensureConfigured();
  return payload.kind === 'raw'
    ? decodeRaw(payload.file, payload.image, config)
    : decodeEncoded(payload.file, payload.bytes, config);
}

/**
 * Views (src/views/): the source at its own size, oriented, alpha flattened and in the configured
 * colour space, decoded as PIL does for timm's RandomResizedCrop (no JPEG shrink-on-load: a crop
 * needs the full-size pixels). A raw payload already in that colour space is returned as it is.
 */
export async function decodeSource(payload: ImagePayload, config: DecodeConfig): Promise<RawImage> {
  ensureConfigured();
  const file = payload.file;
  if (payload.kind === 'raw' && payload.image.channels === config.channels) return payload.image;
  try {
    if (payload.kind === 'raw') {
      const { width, height, channels, data } = payload.image;
      return await colour(sharp(data, { raw: { width, height, channels } }), config, channels === 2 || channels === 4);
    }
    if (payload.bytes.length === 0) throw new ImageError('empty file (0 bytes)', { file });
    const input: SharpOptions = { limitInputPixels: config.limitInputPixels, failOn: 'error', autoOrient: true, ...(config.pilParity ? { ignoreIcc: true } : {}) };
    const { hasAlpha } = await readHeader(file, payload.bytes, input, false);
    return await colour(sharp(payload.bytes, input), config, hasAlpha);
  } catch (err) {
    throw err instanceof ImageError ? err : imageError(err, file);
  }
}

/** Alpha flattened onto the background, converted to the configured colour space, raw 8-bit. */
async function colour(pipe: Sharp, config: DecodeConfig, hasAlpha: boolean): Promise<RawImage> {
  return run(pipe, { srcWidth: 0, srcHeight: 0, resize: null, crop: null }, config, hasAlpha);
}

/** `region` of a decoded source (decodeSource) resized to config.imageSize with config.interpolation. */
export async function resizeRegion(image: RawImage, region: Region, config: DecodeConfig, file: string): Promise<RawImage> {
  ensureConfigured();
  const [h, w] = config.imageSize;
  const { width, height, channels, data } = image;
  try {
    const pipe = sharp(data, { raw: { width, height, channels } }).extract(region).resize(w, h, { fit: 'fill', kernel: config.interpolation ?? 'cubic' });
    const out = await pipe.toColourspace(channels === 1 ? 'b-w' : 'srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return checkOutput({ width: out.info.width, height: out.info.height, channels: out.info.channels as RawImage['channels'], data: out.data }, config, file);
  } catch (err) {
    throw err instanceof ImageError ? err : imageError(err, file);
  }
}
