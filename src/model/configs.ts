/**
 * One typed ViT/DeiT config, a defaults object, `resolveConfig` (copy, fill defaults, validate) and
 * named variants that only set a few fields (timm style).
 */
import { ModelError } from '../util/errors.js';

export interface ViTConfig {
  /** Input image size [height, width] in pixels. */
  imageSize: [number, number];
  patchSize: number;
  channels: number;
  /** Embedding width D. */
  dim: number;
  depth: number;
  heads: number;
  /** MLP hidden width = round(dim · mlpRatio). */
  mlpRatio: number;
  /** Classes of the head; 0: no head (HF ViTModel / DeiTModel, timm num_classes=0), forwardHead returns the CLS features. */
  numClasses: number;
  /** LayerNorm epsilon: 1e-6 for timm/DeiT, HF ViT's config says 1e-12. */
  layerNormEps: number;
  qkvBias: boolean;
  /** A CLS token is prepended (the head reads it). */
  classToken: boolean;
  /** DeiT: a second prefix token (the distillation token) after CLS. */
  distilled: boolean;
  /**
   * A second head reading the distillation token; logits = (head(cls) + headDist(dist)) / 2
   * (timm's distilled DeiT, HF DeiTForImageClassificationWithTeacher). Default: `distilled`. HF
   * DeiTForImageClassification has the distillation token but one head reading CLS only.
   */
  distillHead: boolean;
  /** Per-channel normalisation applied to the uint8 pixels: x = (u / 255 − mean) / std. */
  mean: number[];
  std: number[];
}

export type ViTConfigInput = Partial<ViTConfig>;

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

export const defaultViTConfig: ViTConfig = {
  imageSize: [224, 224],
  patchSize: 16,
  channels: 3,
  dim: 768,
  depth: 12,
  heads: 12,
  mlpRatio: 4,
  numClasses: 1000,
  layerNormEps: 1e-6,
  qkvBias: true,
  classToken: true,
  distilled: false,
  distillHead: false,
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
};

const deit = (dim: number, heads: number): ViTConfigInput => ({ dim, heads, depth: 12 });
const gray28 = (dim: number, depth: number, heads: number): ViTConfigInput => ({
  imageSize: [28, 28],
  patchSize: 4,
  channels: 1,
  dim,
  depth,
  heads,
  numClasses: 10,
  mean: [0.5],
  std: [0.5],
});

/** Named variants. Each only sets what differs from `defaultViTConfig`. */
export const VARIANTS = {
  'deit-tiny-patch16-224': deit(192, 3),
  'deit-small-patch16-224': deit(384, 6),
  'deit-base-patch16-224': deit(768, 12),
  'deit-tiny-distilled-patch16-224': { ...deit(192, 3), distilled: true },
  'deit-small-distilled-patch16-224': { ...deit(384, 6), distilled: true },
  'deit-base-distilled-patch16-224': { ...deit(768, 12), distilled: true },
  'vit-micro-p4-28': gray28(64, 4, 4),
  'vit-mini-p4-28': gray28(128, 6, 4),
  /** 56×56 grayscale, patch 8 (49 patches): the cluttered Fashion-MNIST of `dlth make-cluttered`. */
  'vit-micro-p8-56': { ...gray28(64, 4, 4), imageSize: [56, 56], patchSize: 8 },
} as const satisfies Record<string, ViTConfigInput>;
export type VariantName = keyof typeof VARIANTS;

export function isVariantName(name: string): name is VariantName {
  return Object.hasOwn(VARIANTS, name);
}

/** A named variant with optional overrides (e.g. `numClasses`), resolved and validated. */
export function variantConfig(name: string, overrides: ViTConfigInput = {}): ViTConfig {
  if (!isVariantName(name)) {
    throw new ModelError(`unknown model variant ${JSON.stringify(name)}; known: ${Object.keys(VARIANTS).join(', ')}`);
  }
  return resolveConfig({ ...VARIANTS[name], ...overrides });
}

function check(ok: boolean, field: string, value: unknown, want: string): void {
  if (!ok) throw new ModelError(`invalid model config: ${field} = ${JSON.stringify(value)} (want ${want})`);
}

const posInt = (v: number): boolean => Number.isInteger(v) && v > 0;

/** Copies `input` over the defaults and validates every field; throws ModelError naming the field. */
export function resolveConfig(input: ViTConfigInput = {}): ViTConfig {
  const c: ViTConfig = { ...defaultViTConfig, ...input };
  c.imageSize = [c.imageSize[0], c.imageSize[1]];
  c.distillHead = input.distillHead ?? c.distilled;
  c.mean = [...(input.mean ?? (c.channels === 3 ? IMAGENET_MEAN : Array(c.channels).fill(0.5)))];
  c.std = [...(input.std ?? (c.channels === 3 ? IMAGENET_STD : Array(c.channels).fill(0.5)))];
  for (const f of ['patchSize', 'channels', 'dim', 'depth', 'heads'] as const) {
    check(posInt(c[f]), f, c[f], 'a positive integer');
  }
  check(Number.isInteger(c.numClasses) && c.numClasses >= 0, 'numClasses', c.numClasses, 'an integer ≥ 0 (0: no head)');
  check(c.distilled || !c.distillHead, 'distillHead', c.distillHead, 'false when distilled is false');
  check(c.numClasses > 0 || !c.distillHead, 'distillHead', c.distillHead, 'false without a head (numClasses 0)');
  check(c.imageSize.length === 2 && c.imageSize.every(posInt), 'imageSize', c.imageSize, '[h, w] positive integers');
  check(c.imageSize.every((s) => s % c.patchSize === 0), 'imageSize', c.imageSize, `multiples of patchSize ${c.patchSize}`);
  check(c.dim % c.heads === 0, 'heads', c.heads, `a divisor of dim ${c.dim}`);
  check(c.mlpRatio > 0 && posInt(Math.round(c.dim * c.mlpRatio)), 'mlpRatio', c.mlpRatio, '> 0');
  check(c.layerNormEps > 0 && c.layerNormEps < 1, 'layerNormEps', c.layerNormEps, 'in (0, 1)');
  check(c.classToken || !c.distilled, 'distilled', c.distilled, 'false when classToken is false');
  check(!!c.classToken, 'classToken', c.classToken, 'true (global pooling is not implemented)');
  check(c.mean.length === c.channels, 'mean', c.mean, `${c.channels} values`);
  check(c.std.length === c.channels && c.std.every((s) => s > 0), 'std', c.std, `${c.channels} positive values`);
  return c;
}

/** Derived sizes used throughout the model. */
export function gridOf(c: ViTConfig): { gridH: number; gridW: number; numPatches: number; patchDim: number; prefix: number; mlpDim: number; headDim: number } {
  const gridH = c.imageSize[0] / c.patchSize;
  const gridW = c.imageSize[1] / c.patchSize;
  return {
    gridH,
    gridW,
    numPatches: gridH * gridW,
    patchDim: c.patchSize * c.patchSize * c.channels,
    prefix: (c.classToken ? 1 : 0) + (c.distilled ? 1 : 0),
    mlpDim: Math.round(c.dim * c.mlpRatio),
    headDim: c.dim / c.heads,
  };
}
