/**
 * The pure geometry of the resize-and-crop transform. No pixels here: `planTransform` says which
 * resize and which crop turn a source of a given size into the target size; decode.ts carries it
 * out inside sharp, and `cropRaw` does a crop-only plan on raw pixels without sharp.
 *
 * Matches timm's evaluation transform for square targets: `Resize(floor(size / crop_pct))` (shorter
 * side to that length, longer side `int(S * long / short)`, as torchvision computes it), then
 * `CenterCrop(size)` with torchvision's offsets `int(round((h - th) / 2.0))` (Python's round: half
 * to even). For a non-square target [H, W] the image is scaled, keeping its aspect ratio, until it
 * covers [floor(H / crop_pct), floor(W / crop_pct)] (timm would stretch to that size instead).
 *
 * Hugging Face image processors: 'fixed' resizes to exactly `resizeTo` (ViTImageProcessor's
 * size {height, width}; DeiT's 256×256 before its 224 crop), 'shorter' with `shortestEdge` is
 * size {shortest_edge}; their centre crop offsets are `(d) // 2` (`cropRounding: 'floor'`).
 */
import { InputError } from '../util/errors.js';
import type { RawImage } from '../sources/types.js';
import type { PatchifyConfig } from './types.js';

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface TransformPlan {
  /** Size of the (oriented) source. */
  srcWidth: number;
  srcHeight: number;
  /** Resize to exactly this size first, or null for no resize. */
  resize: { width: number; height: number } | null;
  /** Then crop this region (of the resized image), or null when it is already the target size. */
  crop: Region | null;
}

type Geometry = Pick<PatchifyConfig, 'imageSize' | 'resize' | 'cropPct' | 'resizeTo' | 'shortestEdge' | 'cropRounding'>;

/** Python's round(): halves go to the nearest even integer. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The size the image is resized to before the crop, preserving aspect ratio (torchvision rule). */
export function resizedSize(srcW: number, srcH: number, coverW: number, coverH: number): [number, number] {
  if (coverH / srcH >= coverW / srcW) {
    return [Math.max(coverW, Math.floor((coverH * srcW) / srcH)), coverH];
  }
  return [coverW, Math.max(coverH, Math.floor((coverW * srcH) / srcW))];
}

/**
 * Centre-crop offsets of a [th, tw] crop from a [h, w] image: torchvision's CenterCrop
 * `int(round(d / 2))` ('round', the default) or Hugging Face's `center_crop` `d // 2` ('floor').
 */
export function centreCrop(w: number, h: number, tw: number, th: number, rounding: 'round' | 'floor' = 'round'): Region {
  const half = rounding === 'floor' ? (d: number) => Math.floor(d / 2) : (d: number) => roundHalfEven(d / 2);
  return { left: half(w - tw), top: half(h - th), width: tw, height: th };
}

/** The size the resize step produces (before the crop), per resize mode. */
function resizeTarget(srcWidth: number, srcHeight: number, g: Geometry): [number, number] {
  const [th, tw] = g.imageSize;
  if (g.resize === 'fixed') {
    const [rh, rw] = g.resizeTo ?? g.imageSize;
    return [rw, rh];
  }
  if (g.resize === 'shorter' && g.shortestEdge !== undefined) return resizedSize(srcWidth, srcHeight, g.shortestEdge, g.shortestEdge);
  const pct = g.resize === 'deit' ? g.cropPct : 1;
  return resizedSize(srcWidth, srcHeight, Math.floor(tw / pct), Math.floor(th / pct));
}

/** Plans the transform of a srcWidth × srcHeight image; throws InputError for mode 'none' misfits. */
export function planTransform(srcWidth: number, srcHeight: number, geometry: Geometry, file?: string): TransformPlan {
  const [th, tw] = geometry.imageSize;
  const plan: TransformPlan = { srcWidth, srcHeight, resize: null, crop: null };
  if (srcWidth === tw && srcHeight === th) return plan;
  if (geometry.resize === 'none') {
    throw new InputError(
      `image is ${srcWidth}×${srcHeight} but resize mode 'none' needs exactly ${tw}×${th} (width×height)`,
      { file },
    );
  }
  const [rw, rh] = resizeTarget(srcWidth, srcHeight, geometry);
  if (rw < tw || rh < th) {
    throw new InputError(`resize to ${rw}×${rh} is smaller than the ${tw}×${th} crop (width×height)`, { file });
  }
  if (rw !== srcWidth || rh !== srcHeight) plan.resize = { width: rw, height: rh };
  if (rw !== tw || rh !== th) plan.crop = centreCrop(rw, rh, tw, th, geometry.cropRounding);
  return plan;
}

/** Crops raw interleaved pixels (a copy of the region; the source is not modified). */
export function cropRaw(image: RawImage, region: Region): RawImage {
  const { width, channels } = image;
  const rowBytes = region.width * channels;
  const out = new Uint8Array(region.height * rowBytes);
  for (let y = 0; y < region.height; y++) {
    const start = ((region.top + y) * width + region.left) * channels;
    out.set(image.data.subarray(start, start + rowBytes), y * rowBytes);
  }
  return { width: region.width, height: region.height, channels, data: out };
}
