/**
 * Whether two datasets' pixels were made the same way: the one comparison every reader (the
 * loader, `dlth train` between its training and evaluation data, `dlth stream`) uses before it
 * reads datasets together. Mixing datasets of different preprocessing (another mean/std, resize,
 * crop or resampling) makes a comparison silently unfair, or normalises one dataset with the
 * other's statistics. python/dlth/preprocessing.py mirrors this rule field for field.
 */
import type { AppliedPreprocessing, DatasetMeta } from './types.js';

type Meta = Pick<DatasetMeta, 'imageSize' | 'channels' | 'mean' | 'std' | 'preprocessing'>;

/** The preprocessing fields that decide the pixels (`from` only says where they were read). */
function pixelFields(p: AppliedPreprocessing): Record<string, unknown> {
  return {
    resize: p.resize,
    resizeTo: p.resizeTo ?? null,
    shortestEdge: p.shortestEdge ?? null,
    // The crop fraction only shapes the DeiT resize; the others crop to the image size.
    cropPct: p.resize === 'deit' ? p.cropPct : null,
    cropRounding: p.cropRounding ?? 'round',
    pilParity: p.pilParity ?? false,
    interpolation: p.interpolation,
  };
}

/**
 * The first difference between two datasets' preprocessing, as "field: a vs b", or null when they
 * agree. A dataset that predates the record (no `preprocessing`) is compared on image size and
 * mean/std only.
 */
export function preprocessingDifference(a: Meta, b: Meta): string | null {
  const base: [string, unknown, unknown][] = [
    ['imageSize', a.imageSize, b.imageSize],
    ['channels', a.channels, b.channels],
    ['mean', a.mean, b.mean],
    ['std', a.std, b.std],
  ];
  const fa = a.preprocessing ? pixelFields(a.preprocessing) : null;
  const fb = b.preprocessing ? pixelFields(b.preprocessing) : null;
  const fields: [string, unknown, unknown][] = fa && fb ? Object.keys(fa).map((k) => [k, fa[k], fb[k]]) : [];
  for (const [field, x, y] of [...base, ...fields]) {
    const sx = JSON.stringify(x);
    const sy = JSON.stringify(y);
    if (sx !== sy) return `${field} ${sx} vs ${sy}`;
  }
  return null;
}

/** A one-line description of a dataset's preprocessing, for `dlth inspect` and messages. */
export function describePreprocessing(m: Meta): string {
  const stats = `mean ${m.mean.join(',')}, std ${m.std.join(',')}`;
  const p = m.preprocessing;
  if (!p) return `${m.imageSize.join('×')}, ${stats} (resize and crop not recorded: an older dataset)`;
  const extras = [p.cropRounding === 'floor' ? 'crop offsets floored (HF)' : null, p.pilParity ? 'decoded as PIL' : null].filter(Boolean);
  const tail = `${stats}${extras.length ? `, ${extras.join(', ')}` : ''} (from ${p.from})`;
  if (p.resize === 'none') return `no resize (images are ${m.imageSize.join('×')} as given), ${tail}`;
  const resize = p.resize === 'deit' ? `shorter side to size/${p.cropPct} (deit)`
    : p.resize === 'fixed' ? `resize to ${(p.resizeTo ?? m.imageSize).join('×')}`
    : `shorter side to ${p.shortestEdge ?? 'cover'}`;
  return `${resize}, ${p.interpolation}, centre crop to ${m.imageSize.join('×')}, ${tail}`;
}
