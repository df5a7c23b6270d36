/**
 * The backgrounds of `make-cluttered`, behind one interface: a resolved, validated configuration
 * that composes the first `count` items of a split into images and object masks, and describes
 * itself for `cluttered.json`. `textures`: compose.ts; `soup`: soup.ts.
 */
import { InputError, show } from '../util/errors.js';
import { sha256Hex } from '../util/hash.js';
import { compose, COMPOSE_DEFAULTS, placement, type ComposeConfig, type Texture } from './compose.js';
import { composeSoup, soupPlacement, type SoupConfig, type SoupItems } from './soup.js';
import { defaultTextureDir, loadTextures } from './textures.js';

export const Background = { Textures: 'textures', Soup: 'soup' } as const;
export type Background = (typeof Background)[keyof typeof Background];

/** The soup background's defaults: 49×49 canvases of 7×7 cells of 7 px, items of 4×4 cells of which up to one row and one column may lie off the canvas (docs/results/soup-data.md: why). */
export const SOUP_DEFAULTS = { size: 49, align: 7, overhang: 1 } as const;

/** What a background is asked for (any field may be absent: its default). */
export interface BackgroundOptions extends Partial<ComposeConfig> {
  /** `textures` (default) or `soup`. With soup, `align` is the cell side and `contrast`/`opaqueAt`/`textures` do not apply. */
  background?: Background;
  /** Soup: item rows/columns (in cells) that may lie off the canvas on each side. Default 0. */
  overhang?: number;
  /** Directory of texture photos (*.pgm, *.pgm.gz). Default: the package's data/textures. */
  textures?: string;
}

/** The items of one split: all `total` of them (soup draws background cells from every one). */
export interface SplitItems extends SoupItems {
  /** The split salt of the generator (1 = train, 2 = test). */
  salt: number;
}

export interface Composed {
  /** count · S · S bytes each. */
  pixels: Uint8Array;
  masks: Uint8Array;
}

export interface ResolvedBackground {
  background: Background;
  /** Output side S in pixels. */
  size: number;
  composeSplit(items: SplitItems, count: number, seed: number): Composed;
  /** The configuration and rule, for cluttered.json. */
  describe(): Record<string, unknown>;
}

const inRange = (name: string, v: number, lo: number, hi: number): number => {
  if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new InputError(`${name} = ${show(v)} is outside ${lo}..${hi}`);
  return v;
};

export async function resolveBackground(o: BackgroundOptions, itemSide: number): Promise<ResolvedBackground> {
  const background = o.background ?? Background.Textures;
  if (background === Background.Soup) return resolveSoup(o, itemSide);
  if (background !== Background.Textures) throw new InputError(`background = ${show(background)} is not one of ${Object.values(Background).join(', ')}`);
  if (o.overhang !== undefined) throw new InputError('overhang applies to the soup background only');
  return resolveTextures(o, itemSide);
}

function resolveSoup(o: BackgroundOptions, itemSide: number): ResolvedBackground {
  const given = (['contrast', 'opaqueAt', 'textures'] as const).filter((k) => o[k] !== undefined);
  if (given.length > 0) throw new InputError(`${given.join(', ')}: the soup background has no texture (only background textures takes ${given.length > 1 ? 'these' : 'it'})`);
  const cell = inRange('align', o.align ?? SOUP_DEFAULTS.align, 1, itemSide);
  if (itemSide % cell !== 0) throw new InputError(`align = ${cell}: soup cells must divide the ${itemSide}-px item`);
  const size = inRange('size', o.size ?? SOUP_DEFAULTS.size, itemSide, 1024);
  if (size % cell !== 0) throw new InputError(`size = ${size} is not a multiple of the ${cell}-px cells (align)`);
  const overhang = inRange('overhang', o.overhang ?? SOUP_DEFAULTS.overhang, 0, itemSide / cell - 1);
  const c: SoupConfig = { size, cell, overhang };
  return {
    background: Background.Soup,
    size,
    composeSplit: (items, count, seed) => soupSplit(items, count, c, seed),
    describe: () => ({ soup: c, rule: 'see src/synth/soup.ts: the item on a grid of align-px cells at a seeded cell offset, every other cell a random cell of another item of the split; mask = the item\'s square' }),
  };
}

function soupSplit(items: SplitItems, count: number, c: SoupConfig, seed: number): Composed {
  if (items.total < 2) throw new InputError('the soup background needs at least 2 items in the split');
  const px = c.size * c.size;
  const pixels = new Uint8Array(count * px);
  const masks = new Uint8Array(count * px);
  for (let i = 0; i < count; i++) {
    const p = soupPlacement(seed, items.salt, i, items, c);
    composeSoup(items, i, p, c, pixels.subarray(i * px, (i + 1) * px), masks.subarray(i * px, (i + 1) * px));
  }
  return { pixels, masks };
}

async function resolveTextures(o: BackgroundOptions, itemSide: number): Promise<ResolvedBackground> {
  const d = COMPOSE_DEFAULTS;
  const c: ComposeConfig = { size: o.size ?? d.size, contrast: o.contrast ?? d.contrast, opaqueAt: o.opaqueAt ?? d.opaqueAt, align: o.align ?? d.align };
  inRange('size', c.size, Math.max(28, itemSide), 1024);
  if (!(c.contrast >= 0 && c.contrast <= 4)) throw new InputError(`contrast = ${show(c.contrast)} is outside [0, 4]`);
  if (!(c.opaqueAt >= 1 && c.opaqueAt <= 255)) throw new InputError(`opaqueAt = ${show(c.opaqueAt)} is outside [1, 255]`);
  inRange('align', c.align, 1, c.size);
  const textures = await loadTextures(o.textures ?? defaultTextureDir(), c.size);
  return {
    background: Background.Textures,
    size: c.size,
    composeSplit: (items, count, seed) => composeSplit(items, count, textures, c, seed),
    describe: () => ({
      compose: c,
      textures: textures.map((t) => ({ name: t.name, width: t.width, height: t.height, sha256: sha256Hex(t.data) })),
      rule: 'see src/synth/compose.ts: bg = 128 + contrast·(texture − mean), alpha = min(1, item/opaqueAt), out = round(alpha·item + (1 − alpha)·bg); mask = alpha ≥ 1/2',
    }),
  };
}

/** Composes the first `count` items of a split on textures. */
export function composeSplit(items: SplitItems, count: number, textures: readonly Texture[], c: ComposeConfig, seed: number): Composed {
  const px = c.size * c.size;
  const side = items.side;
  const pixels = new Uint8Array(count * px);
  const masks = new Uint8Array(count * px);
  for (let i = 0; i < count; i++) {
    const p = placement(seed, items.salt, i, textures, c.size, side, c.align);
    compose(items.data.subarray(i * side * side, (i + 1) * side * side), side, textures[p.texture], p, c, pixels.subarray(i * px, (i + 1) * px), masks.subarray(i * px, (i + 1) * px));
  }
  return { pixels, masks };
}
