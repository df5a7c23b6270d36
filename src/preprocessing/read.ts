/**
 * Reading a checkpoint's preprocessing: HF `preprocessor_config.json` (do_resize, size
 * {height, width} | {shortest_edge}, crop_pct, do_center_crop + crop_size, resample, do_rescale +
 * rescale_factor, do_normalize, image_mean, image_std; missing fields take the processor class's
 * defaults), timm's pretrained_cfg (input_size, crop_pct, crop_mode, interpolation, mean, std), or
 * dlth's defaults (timm's DeiT evaluation transform with the model's own mean/std).
 */
import type { ViTConfig } from '../model/configs.js';
import type { TimmPretrainedCfg } from '../model/timm_config.js';
import { PATCHIFY_DEFAULTS } from '../patchify/config.js';
import { CheckpointError, show } from '../util/errors.js';
import { SHARP_KERNEL, type Preprocessing, type Resample } from './resolve.js';

const PIL_RESAMPLE: Record<number, Resample> = { 0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic', 4: 'box', 5: 'hamming' };
const HALF = [0.5, 0.5, 0.5];

/** Class defaults of the HF processors of ViT and DeiT (transformers' __init__ defaults). */
function hfDefaults(type: string): { size: Record<string, number>; resample: number; mean: number[]; std: number[]; crop: boolean } {
  if (type.startsWith('DeiT')) return { size: { height: 256, width: 256 }, resample: 3, mean: HALF, std: HALF, crop: true };
  return { size: { height: 224, width: 224 }, resample: 2, mean: HALF, std: HALF, crop: false };
}

type Json = Record<string, unknown>;

function numbers(v: unknown, field: string, file: string): number[] {
  const list = typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new CheckpointError(`${field} ${show(v)} is not a list of numbers`, { file });
  return list as number[];
}

function hw(v: unknown, field: string, file: string): [number, number] | { shortest: number } {
  const o = (typeof v === 'number' ? { height: v, width: v } : v) as Json | null;
  const int = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0 && x <= 8192;
  if (o && int(o.height) && int(o.width)) return [o.height, o.width];
  if (o && int(o.shortest_edge) && o.longest_edge === undefined) return { shortest: o.shortest_edge };
  throw new CheckpointError(`${field} ${show(v)} is not supported ({height, width} or {shortest_edge})`, { file });
}

function resizeOf(j: Json, d: ReturnType<typeof hfDefaults>, file: string): { resize: Preprocessing['resize']; imageSize: [number, number] | null } {
  if (j.do_resize === false) return { resize: { mode: 'none' }, imageSize: null };
  const size = hw(j.size ?? d.size, 'size', file);
  const cropPct = typeof j.crop_pct === 'number' ? j.crop_pct : undefined;
  if (Array.isArray(size)) return { resize: { mode: 'fixed', size }, imageSize: size };
  if (cropPct !== undefined && size.shortest < 384) return { resize: { mode: 'deit', cropPct }, imageSize: [size.shortest, size.shortest] };
  return { resize: { mode: 'shorter', edge: size.shortest }, imageSize: null };
}

/** Preprocessing from an HF `preprocessor_config.json`; the result must give the model's input size. */
export function fromHfProcessor(j: Json, file: string, model: ViTConfig): Preprocessing {
  const type = typeof j.image_processor_type === 'string' ? j.image_processor_type : 'ViTImageProcessor';
  const d = hfDefaults(type);
  const resample = PIL_RESAMPLE[typeof j.resample === 'number' ? j.resample : d.resample];
  if (!resample) throw new CheckpointError(`resample ${show(j.resample)} is not a PIL filter (0–5)`, { file });
  const { resize, imageSize: afterResize } = resizeOf(j, d, file);
  const crop = (j.do_center_crop ?? d.crop) === true ? hw(j.crop_size ?? { height: 224, width: 224 }, 'crop_size', file) : null;
  if (crop !== null && !Array.isArray(crop)) throw new CheckpointError('crop_size must be {height, width}', { file });
  const imageSize = (crop as [number, number] | null) ?? afterResize ?? model.imageSize;
  if (imageSize[0] !== model.imageSize[0] || imageSize[1] !== model.imageSize[1]) {
    throw new CheckpointError(`the processor makes ${imageSize.join('×')} images but the model takes ${model.imageSize.join('×')}`, { file });
  }
  const f = j.do_rescale === false ? 1 : typeof j.rescale_factor === 'number' ? j.rescale_factor : 1 / 255;
  const normalise = j.do_normalize !== false;
  const mean = normalise ? numbers(j.image_mean ?? d.mean, 'image_mean', file) : [0, 0, 0];
  const std = normalise ? numbers(j.image_std ?? d.std, 'image_std', file) : [1, 1, 1];
  const k = 255 * f;
  return { from: 'hf-processor', imageSize, resize, cropRounding: 'floor', interpolation: resample, mean: mean.map((m) => m / k), std: std.map((s) => s / k) };
}

/** Preprocessing from timm's pretrained_cfg (crop_mode 'center' only). */
export function fromTimmCfg(c: TimmPretrainedCfg, file: string, model: ViTConfig): Preprocessing {
  if (c.crop_mode !== undefined && c.crop_mode !== 'center') throw new CheckpointError(`pretrained_cfg.crop_mode ${show(c.crop_mode)} is not supported ('center')`, { file });
  const interp = c.interpolation ?? 'bicubic';
  if (!Object.hasOwn(SHARP_KERNEL, interp)) throw new CheckpointError(`pretrained_cfg.interpolation ${show(interp)} is not supported`, { file });
  return {
    from: 'timm-pretrained-cfg', imageSize: [...model.imageSize], resize: { mode: 'deit', cropPct: c.crop_pct ?? PATCHIFY_DEFAULTS.cropPct },
    cropRounding: 'round', interpolation: interp as Resample, mean: [...(c.mean ?? model.mean)], std: [...(c.std ?? model.std)],
  };
}

/** No processor file: timm's DeiT evaluation transform and the model's own normalisation. */
export function defaultPreprocessing(model: ViTConfig): Preprocessing {
  return {
    from: 'default', imageSize: [...model.imageSize], resize: { mode: 'deit', cropPct: PATCHIFY_DEFAULTS.cropPct },
    cropRounding: 'round', interpolation: 'bicubic', mean: [...model.mean], std: [...model.std],
  };
}
