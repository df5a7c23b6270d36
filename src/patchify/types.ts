/**
 * Patchify configuration and output. The pipeline is: decode (sharp, the only sharp import) →
 * orientation, channel conversion → resize/crop (transform) → split into a G_h × G_w grid of
 * p × p patches in raster order (grid).
 */

export const ResizeMode = {
  /** DeiT evaluation transform: shorter side to size / cropPct, then centre crop to size. */
  Deit: 'deit',
  /** Shorter side to `shortestEdge` (default: to cover the target size), then centre crop. */
  Shorter: 'shorter',
  /** No resize: the source must already have the target size (else an error). */
  None: 'none',
  /** Resize to exactly `resizeTo` (default the target size), aspect ratio not kept, then centre crop (HF ViT/DeiT processors). */
  Fixed: 'fixed',
} as const;
export type ResizeMode = (typeof ResizeMode)[keyof typeof ResizeMode];

/** Resampling kernel of the resize (sharp's kernels; 'cubic' is Catmull-Rom, like PIL's bicubic). */
export const Interpolation = {
  Nearest: 'nearest',
  Linear: 'linear',
  Cubic: 'cubic',
  Lanczos3: 'lanczos3',
} as const;
export type Interpolation = (typeof Interpolation)[keyof typeof Interpolation];

/** What to do with an image smaller than the target size (either side), which a resize would upscale. */
export const SmallImages = {
  /** Upscale it, count it, and warn once at the end of the command (the default). */
  Warn: 'warn',
  /** Refuse it: the sample fails (SmallImageError), is recorded in errors.jsonl, counts against maxFailures. */
  Skip: 'skip',
  /** Upscale it silently (on purpose, e.g. CIFAR-10 at 224 px). */
  Upscale: 'upscale',
} as const;
export type SmallImages = (typeof SmallImages)[keyof typeof SmallImages];

export interface PatchifyConfig {
  /** Target image height and width after resize and crop. */
  imageSize: [number, number];
  patchSize: number;
  channels: 1 | 3;
  resize: ResizeMode;
  /** Crop fraction of the DeiT transform (0.875 → shorter side to size/0.875). */
  cropPct: number;
  /** 'fixed' mode: the [height, width] resized to before the centre crop (default imageSize). */
  resizeTo?: [number, number];
  /** 'shorter' mode: the length of the shorter side after the resize (default: cover imageSize). */
  shortestEdge?: number;
  /**
   * Decode as PIL does (what HF image processors and timm feed their models): embedded ICC
   * profiles ignored (libvips converts to sRGB with them) and no JPEG shrink-on-load. Default false.
   */
  pilParity?: boolean;
  /** Centre-crop offset rounding: 'round' = torchvision/timm int(round(d / 2)), 'floor' = HF d // 2. Default 'round'. */
  cropRounding?: 'round' | 'floor';
  /** Background (0–255 RGB) that alpha is flattened onto. */
  background: [number, number, number];
  /** Decompression-bomb guard: sharp's limitInputPixels. */
  limitInputPixels: number;
  /** Per-channel normalisation the model applies (recorded in shard metadata; pixels stay uint8). */
  mean: number[];
  std: number[];
  /** Resize kernel; resolvePatchifyConfig fills 'cubic' (timm's DeiT eval uses bicubic). */
  interpolation?: Interpolation;
  /** Images smaller than imageSize: 'warn' (default when absent), 'skip' or 'upscale'. */
  smallImages?: SmallImages;
}

export interface PatchGrid {
  gridH: number;
  gridW: number;
  patchSize: number;
  channels: number;
  /** gridH·gridW patches, each p·p·C bytes row-major (row, col, channel), patches in raster order. */
  patches: Uint8Array;
}
