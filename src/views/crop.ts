/**
 * The crop and flip of view v of an image: timm's RandomResizedCrop sampling
 * (`RandomResizedCropAndInterpolation.get_params`) on the decoded, oriented source of W × H pixels:
 * up to 10 attempts of an area fraction s ~ U(scale) and an aspect ratio a = exp(U(ln ratio)),
 * w = round(√(s·W·H·a)), h = round(√(s·W·H / a)) (round half to even, as Python's round); the first
 * with 0 < w ≤ W and 0 < h ≤ H is placed at top ~ U{0…H−h}, left ~ U{0…W−w}; otherwise the centre
 * fallback (the whole image, narrowed to the nearer ratio bound when its own ratio lies outside).
 * Then a flip when u < flip. View 0 is the plain view: no crop, no flip.
 *
 * The draws come from sfc32 keyed by hashInts(seed, v, Salt.ViewCrop, hashString(id)): a view
 * depends only on (dataset seed, image id, view index, image size), never on the worker, shard or
 * batch that computes it. Uniforms are 24-bit exact; ln and exp are the exact float32 series of
 * augment/exact.ts (Math.log/exp are not bit-specified across platforms); the rest is float64
 * arithmetic and √, which IEEE fixes. So every platform draws the same boxes.
 */
import { log32, exp32, uniform, uniformIn } from '../loader/augment/exact.js';
import { hashInts, hashString, Rng, Salt } from '../loader/rng.js';
import { roundHalfEven } from '../patchify/transform.js';
import type { RowView, ViewsMeta } from '../shards/types.js';

/** The plain view 0's record: no box, no flip. */
export function plainView(): RowView {
  return { index: 0, box: [0, 0, 0, 0], flip: false };
}

/** timm's attempts before the centre fallback. */
const ATTEMPTS = 10;

/** The centre fallback: the whole image, cut to the nearer ratio bound when its own ratio is outside. */
function centreFallback(width: number, height: number, ratio: readonly [number, number]): RowView['box'] {
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return [Math.floor((width - w) / 2), Math.floor((height - h) / 2), w, h];
}

/** The random-resized-crop box of one view (see the module comment). */
function drawBox(rng: Rng, views: ViewsMeta, width: number, height: number): RowView['box'] {
  const area = width * height;
  const logLo = log32(views.ratio[0]);
  const logHi = log32(views.ratio[1]);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const target = area * (views.scale[0] + (views.scale[1] - views.scale[0]) * uniform(rng));
    const aspect = exp32(uniformIn(rng, logLo, logHi));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const top = rng.below(height - h + 1);
      const left = rng.below(width - w + 1);
      return [left, top, w, h];
    }
  }
  return centreFallback(width, height, views.ratio);
}

/** View `view` of image `id` (source of width × height pixels, oriented): its box and flip. */
export function viewCrop(views: ViewsMeta, id: string, view: number, width: number, height: number): RowView {
  if (view === 0) return plainView();
  const rng = new Rng(hashInts(views.seed, view, Salt.ViewCrop, hashString(id)));
  const box = drawBox(rng, views, width, height);
  return { index: view, box, flip: uniform(rng) < views.flip };
}

/** Whether two row views are the same view, crop and flip. */
export function sameRowView(a: RowView, b: RowView): boolean {
  return a.index === b.index && a.flip === b.flip && a.box.every((x, i) => x === b.box[i]);
}

/** A row view as text: `view 2 (crop 3,4 20×18, flipped)`, `view 0 (plain)`. */
export function describeRowView(v: RowView): string {
  if (v.box[2] === 0) return `view ${v.index} (plain)`;
  return `view ${v.index} (crop ${v.box[0]},${v.box[1]} ${v.box[2]}×${v.box[3]}${v.flip ? ', flipped' : ''})`;
}
