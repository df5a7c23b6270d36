/**
 * One typed ViT/DeiT config, a defaults object, `resolveConfig` (copy, fill defaults, validate) and
 * named variants that only set a few fields (timm style).
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../patchify/config.js';
import { ModelError, show, type DlthError } from '../util/errors.js';

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
  /** 49×49 grayscale, patch 7 (49 patches): the patch-soup canvases of `dlth make-cluttered --background soup`. */
  'vit-micro-p7-49': { ...gray28(64, 4, 4), imageSize: [49, 49], patchSize: 7 },
  /** The same grid, wider and deeper: a selector larger than its students, as the paper's DeiT selectors. */
  'vit-mini-p7-49': { ...gray28(128, 6, 4), imageSize: [49, 49], patchSize: 7 },
} as const satisfies Record<string, ViTConfigInput>;
export type VariantName = keyof typeof VARIANTS;

export function isVariantName(name: string): name is VariantName {
  return Object.hasOwn(VARIANTS, name);
}

/** The error a caller raises for a bad config: ModelError for a checkpoint's, InputError for a user's overrides. */
export type ConfigErrorClass = new (message: string) => DlthError;

/** A named variant with optional overrides (e.g. `numClasses`), resolved and validated. */
export function variantConfig(name: string, overrides: ViTConfigInput = {}, Err: ConfigErrorClass = ModelError): ViTConfig {
  if (!isVariantName(name)) {
    throw new Err(`unknown model variant ${JSON.stringify(name)}; known: ${Object.keys(VARIANTS).join(', ')}`);
  }
  return resolveConfig({ ...VARIANTS[name], ...overrides }, Err);
}

interface FieldRule {
  want: string;
  ok: (v: unknown) => boolean;
}

const isInt = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const int = (min: number, max: number, note = ''): FieldRule => ({ want: `an integer in [${min}, ${max}]${note}`, ok: (v) => isInt(v, min, max) });
const bool: FieldRule = { want: 'true or false', ok: (v) => typeof v === 'boolean' };
const numbers = (want: string, each: (x: number) => boolean): FieldRule => ({
  want,
  ok: (v) => Array.isArray(v) && v.length >= 1 && v.length <= MAX_CHANNELS && v.every((x) => typeof x === 'number' && Number.isFinite(x) && each(x)),
});

const MAX_CHANNELS = 64;
const MAX_IMAGE_SIDE = 16384;

/**
 * The type and bounds of every config field: integers where integers are meant, each within a range
 * no real ViT leaves (the relations between fields are checked by `resolveConfig`). Bounds keep every
 * size and count a safe integer; how much memory a model may take is the caller's limit
 * (`parameterCount`).
 */
const FIELD_RULES: { readonly [K in keyof ViTConfig]-?: FieldRule } = {
  imageSize: {
    want: `[height, width], integers in [1, ${MAX_IMAGE_SIDE}]`,
    ok: (v) => Array.isArray(v) && v.length === 2 && v.every((x) => isInt(x, 1, MAX_IMAGE_SIDE)),
  },
  patchSize: int(1, 1024),
  channels: int(1, MAX_CHANNELS),
  dim: int(1, 16384),
  depth: int(1, 1024),
  heads: int(1, 1024),
  mlpRatio: { want: 'a number in (0, 64]', ok: (v) => typeof v === 'number' && v > 0 && v <= 64 },
  numClasses: int(0, 1_000_000, ' (0: no head)'),
  layerNormEps: { want: 'a number in (0, 1)', ok: (v) => typeof v === 'number' && v > 0 && v < 1 },
  qkvBias: bool,
  classToken: bool,
  distilled: bool,
  distillHead: bool,
  mean: numbers(`1 to ${MAX_CHANNELS} finite numbers, one per channel`, () => true),
  std: numbers(`1 to ${MAX_CHANNELS} positive numbers, one per channel`, (x) => x > 0),
};

/** The config's field names, in declaration order. */
export const VIT_CONFIG_FIELDS = Object.keys(FIELD_RULES) as (keyof ViTConfig)[];

const isField = (key: string): key is keyof ViTConfig => Object.hasOwn(FIELD_RULES, key);

/**
 * A partial config from untrusted input (a `--set` override, a checkpoint's JSON), checked field by
 * field: an object, only known field names, each value of its type and within its bounds. Undefined
 * values count as absent. Returns a copy. Throws `Err` naming the field, or listing the known ones.
 */
export function checkConfigInput(input: unknown, Err: ConfigErrorClass = ModelError): ViTConfigInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Err(`invalid model config: ${JSON.stringify(input)} is not an object of fields`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!isField(key)) throw new Err(`unknown model config field ${JSON.stringify(key)}; known: ${VIT_CONFIG_FIELDS.join(', ')}`);
    check(FIELD_RULES[key].ok(value), key, value, FIELD_RULES[key].want, Err);
    out[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return out as ViTConfigInput;
}

function check(ok: boolean, field: string, value: unknown, want: string, Err: ConfigErrorClass): void {
  if (!ok) throw new Err(`invalid model config: ${field} = ${show(value)} (want ${want})`);
}

/** Copies `input` over the defaults and validates every field and their relations; throws `Err` (default ModelError) naming the field. */
export function resolveConfig(input: ViTConfigInput = {}, Err: ConfigErrorClass = ModelError): ViTConfig {
  const given = checkConfigInput(input, Err);
  const c: ViTConfig = { ...defaultViTConfig, ...given };
  c.imageSize = [c.imageSize[0], c.imageSize[1]];
  c.distillHead = given.distillHead ?? c.distilled;
  c.mean = [...(given.mean ?? (c.channels === 3 ? IMAGENET_MEAN : Array(c.channels).fill(0.5)))];
  c.std = [...(given.std ?? (c.channels === 3 ? IMAGENET_STD : Array(c.channels).fill(0.5)))];
  const fail = (ok: boolean, field: string, value: unknown, want: string): void => check(ok, field, value, want, Err);
  fail(c.distilled || !c.distillHead, 'distillHead', c.distillHead, 'false when distilled is false');
  fail(c.numClasses > 0 || !c.distillHead, 'distillHead', c.distillHead, 'false without a head (numClasses 0)');
  fail(c.imageSize.every((s) => s % c.patchSize === 0), 'imageSize', c.imageSize, `multiples of patchSize ${c.patchSize}`);
  fail(c.dim % c.heads === 0, 'heads', c.heads, `a divisor of dim ${c.dim}`);
  fail(Math.round(c.dim * c.mlpRatio) >= 1, 'mlpRatio', c.mlpRatio, `at least 1 / dim (the MLP width round(dim · mlpRatio) must be ≥ 1)`);
  fail(c.classToken || !c.distilled, 'distilled', c.distilled, 'false when classToken is false');
  fail(c.classToken, 'classToken', c.classToken, 'true (global pooling is not implemented)');
  fail(c.mean.length === c.channels, 'mean', c.mean, `${c.channels} values`);
  fail(c.std.length === c.channels && c.std.every((s) => s > 0), 'std', c.std, `${c.channels} positive values`);
  return c;
}

/**
 * The model's trainable parameters, counted from the config (the tensors `initWeights` makes):
 * patch embedding, prefix tokens, position embedding, per block two norms, qkv, proj, fc1, fc2,
 * the final norm and the heads. `largest` is the element count of the biggest single tensor.
 */
export function parameterCount(c: ViTConfig): { total: number; largest: number } {
  const g = gridOf(c);
  const d = c.dim;
  const dense = (i: number, o: number, bias = true): number => i * o + (bias ? o : 0);
  const block = 2 * (2 * d) + dense(d, 3 * d, c.qkvBias) + dense(d, d) + dense(d, g.mlpDim) + dense(g.mlpDim, d);
  const heads = (c.numClasses > 0 ? dense(d, c.numClasses) : 0) + (c.distillHead ? dense(d, c.numClasses) : 0);
  const total = dense(g.patchDim, d) + g.prefix * d + (g.prefix + g.numPatches) * d + c.depth * block + 2 * d + heads;
  const largest = Math.max(g.patchDim * d, (g.prefix + g.numPatches) * d, c.depth > 0 ? Math.max(3 * d * d, d * g.mlpDim) : 0, d * c.numClasses);
  return { total, largest };
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
