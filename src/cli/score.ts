/** `dlth score`: one source → a score dataset (per-patch selector scores and the full rank). */
import { ENGINE_DEFAULTS } from '../engine/options.js';
import { addEngineOptions, engineOptions, type EngineFlags } from './engine-flags.js';
import { optionalNumber, parseNumber, parseNumbers } from './numbers.js';
import { MAX_VIEWS, resolveViews, type ViewsOptions } from '../views/spec.js';
import type { Command } from 'commander';
import { localPath } from '../util/local-path.js';
import { initBackend } from '../backend/init.js';
import { parseBackendName } from '../backend/options.js';
import { modeNames } from '../scoring/modes/index.js';
import { scoreSource, SCORE_DEFAULTS, type ScoreResult } from '../scoring/score.js';
import type { ModeOptions } from '../scoring/modes/types.js';
import { loadSelector, selectorGeometry } from '../scoring/selector.js';
import { openSource } from '../sources/open.js';
import { formatRate } from '../util/progress.js';
import { formatBytes } from './verify.js';
import { addSourceOptions, patchifyConfig, sourceConfig, type SourceFlags } from './source-flags.js';
import { addPreprocessOptions, preprocessOverrides, type PreprocessFlags } from './preprocess-flags.js';

interface ScoreFlags extends SourceFlags, PreprocessFlags, EngineFlags {
  checkpoint?: string;
  model?: string;
  mode: string;
  rate?: string;
  blocks?: string;
  layer?: string;
  batchSize: string;
  backend?: string;
  views?: string;
  cropScale?: string;
  cropRatio?: string;
  viewFlip?: string;
  viewsSeed?: string;
}

/** The view options of the flags, each parsed and named by its flag; resolveViews checks them together. */
function viewFlags(flags: ScoreFlags): ViewsOptions | undefined {
  const o: ViewsOptions = {};
  if (flags.views !== undefined) o.count = parseNumber('views', flags.views, { integer: true, min: 1, max: MAX_VIEWS });
  if (flags.cropScale !== undefined) o.scale = parseNumbers('crop-scale', flags.cropScale);
  if (flags.cropRatio !== undefined) o.ratio = parseNumbers('crop-ratio', flags.cropRatio);
  if (flags.viewFlip !== undefined) o.flip = parseNumber('view-flip', flags.viewFlip, { min: 0, max: 1 });
  if (flags.viewsSeed !== undefined) o.seed = parseNumber('views-seed', flags.viewsSeed, { integer: true, min: 0 });
  if (Object.keys(o).length === 0) return undefined;
  resolveViews(o, { count: '--views', scale: '--crop-scale', ratio: '--crop-ratio', flip: '--view-flip', seed: '--views-seed' });
  return o;
}

function list(flag: string, text: string | undefined): number[] | undefined {
  return text === undefined ? undefined : text.split(',').map((t) => optionalNumber(flag, t.trim()) as number);
}

function modeOptions(flags: ScoreFlags): ModeOptions {
  const o: ModeOptions = {};
  if (flags.rate !== undefined) {
    const rates = list('rate', flags.rate) ?? [];
    o.rate = rates.length === 1 ? rates[0] : rates;
  }
  if (flags.blocks !== undefined) o.blocks = list('blocks', flags.blocks);
  if (flags.layer !== undefined) o.layer = optionalNumber('layer', flags.layer);
  return o;
}

/**
 * Loads the selector, then scores with the geometry its checkpoint states (image size, patch size,
 * channels) unless a flag says otherwise, and then the two must agree (patchifyConfig).
 */
async function score(flags: ScoreFlags): Promise<ScoreResult> {
  const config = sourceConfig(flags);
  const views = viewFlags(flags);
  const checkpoint = flags.checkpoint ? localPath('--checkpoint', flags.checkpoint) : undefined;
  const selector = await loadSelector({ checkpoint, model: flags.model });
  try {
    const patchify = patchifyConfig(flags, { ...selectorGeometry(selector), by: checkpoint ? `checkpoint ${checkpoint}` : `model ${flags.model}` });
    return await scoreSource({
      source: await openSource(config),
      patchify,
      preprocessing: preprocessOverrides(flags),
      selector,
      mode: flags.mode,
      params: modeOptions(flags),
      split: config.kind === 'idx' ? config.split : undefined,
      views,
      engine: engineOptions(flags, parseNumber('batch-size', flags.batchSize, { integer: true, min: 1, max: 65536 })),
    });
  } finally {
    selector.vit.dispose();
  }
}

export function registerScore(program: Command): void {
  addEngineOptions(addPreprocessOptions(addSourceOptions(program.command('score'))), 'score dataset')
    .description('score every patch of every image with a selector ViT (EViT by default) into a score dataset')
    .option('--checkpoint <path>', 'selector: a safetensors file (ours, HF or timm), an HF/timm model directory or a sharded index (omit for random weights: benchmarks only)')
    .option('--model <variant>', 'model variant (needed for HF/timm files without config.json), e.g. deit-small-patch16-224')
    .option('--mode <name>', `scoring mode: ${modeNames().join(' | ')}`, SCORE_DEFAULTS.mode)
    .option('--rate <r[,r…]>', 'evit: keep rate per pruning block, in (0, 1] (default 0.7); several, e.g. 0.9,0.8,0.7: one chain per rate in one pass, all stored')
    .option('--blocks <list>', 'evit: 0-based pruning blocks, e.g. 3,6,9 (default: quarter points of the depth)')
    .option('--layer <i>', 'cls-attn: layer whose CLS attention scores patches (default: last; negative counts from the end)')
    .option('--batch-size <n>', 'images per forward pass', String(ENGINE_DEFAULTS.batchSize))
    .option('--backend <name>', 'auto | tensorflow | webgpu | wasm | cpu (default: DLTH_BACKEND or auto)')
    .option('--views <K>', `K views of each image, 1–${MAX_VIEWS}: view 0 plain, views 1…K−1 seeded random-resized crops with flips, K rows per image (default 1: no views)`)
    .option('--crop-scale <min,max>', 'views: crop area as a fraction of the image, in (0, 1] (timm scale; default 0.08,1)')
    .option('--crop-ratio <min,max>', 'views: crop aspect ratio width/height, > 0 (timm ratio; default 0.75,1.3333)')
    .option('--view-flip <p>', 'views: probability of a horizontal flip of a random view (timm hflip; default 0.5)')
    .option('--views-seed <n>', 'views: seed of the crops and flips (default 0)')
    .action(async (flags: ScoreFlags) => {
      const info = await initBackend(flags.backend ? { backend: parseBackendName(flags.backend, '--backend') } : {});
      const r = await score(flags);
      const params = Object.entries(r.selector.params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
      if (r.upToDate) {
        process.stdout.write(`dlth score: ${r.dir} is up to date (same configuration, shards verified): ${r.rows} rows in ${r.shards} shards reused, nothing recomputed\n`);
        return;
      }
      process.stdout.write(`dlth score: ${r.rows} rows in ${r.shards} shards (${r.reused} reused), ${formatBytes(r.bytes)}, ${r.failures} failed, `
        + `${formatRate(r.imagesPerSec)} img/s on ${info.backend}; ${r.selector.mode} ${params} → ${r.dir}\n`);
    });
}
