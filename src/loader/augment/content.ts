/**
 * The position-only ablation: every kept patch's pixels replaced by the dataset's mean colour (the
 * normalisation mean of its metadata, as bytes: round(255 · mean_c) per channel), so after
 * normalisation the content is ≈ 0 and only the positions tell samples apart. This is also what the
 * paper's full-grid models see for dropped patches.
 */
export const Content = {
  /** The stored pixels (default). */
  Pixels: 'pixels',
  /** The dataset mean in every patch: only positions carry information. */
  Mean: 'mean',
} as const;
export type Content = (typeof Content)[keyof typeof Content];

/** One pixel of the mean colour: round(255 · mean_c), clamped to a byte, per channel. */
export function meanPixel(mean: readonly number[]): Uint8Array {
  return Uint8Array.from(mean, (m) => Math.max(0, Math.min(255, Math.round(255 * m))));
}

/** Fills `patches` (whole pixels of `pixel.length` channels) with `pixel`. */
export function fillMean(patches: Uint8Array, pixel: Uint8Array): void {
  const c = pixel.length;
  if (c === 1) {
    patches.fill(pixel[0]);
    return;
  }
  for (let i = 0; i < patches.length; i += c) patches.set(pixel, i);
}
