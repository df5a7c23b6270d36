/**
 * Opens the training and evaluation loaders and checks them against the model: every dataset must
 * have the model's patch size, channels and image grid (k may differ: a ticket-trained model can
 * be evaluated on all patches), and the classes must fit the head. Unless overridden, the model
 * takes its class count and pixel normalisation from the training dataset's metadata.
 */
import { TicketLoader } from '../loader/loader.js';
import { Verify, type LoaderOptions } from '../loader/options.js';
import { checkSamePreprocessing } from '../loader/sources.js';
import { gridOf, variantConfig, type ViTConfig, type ViTConfigInput } from '../model/configs.js';
import type { DatasetMeta } from '../shards/types.js';
import { InputError } from '../util/errors.js';
import type { DatasetLocation } from '../loader/store/location.js';
import type { TrainConfig } from './config.js';

export interface OpenedData {
  train: TicketLoader;
  evals: { name: string; loader: TicketLoader }[];
  model: ViTConfig;
}

function describe(m: DatasetMeta): string {
  return `k=${m.k}, patch ${m.patchSize}, ${m.channels} channel(s), image ${m.imageSize.join('×')}, ${m.numClasses ?? 'no'} classes`;
}

/** Throws an InputError when the dataset at `where` cannot feed `model` (named `variant`). */
export function checkCompatible(meta: DatasetMeta, model: ViTConfig, variant: string, where: string): void {
  const g = gridOf(model);
  const problems: string[] = [];
  if (meta.patchSize !== model.patchSize) problems.push(`patch size ${meta.patchSize} ≠ ${model.patchSize}`);
  if (meta.channels !== model.channels) problems.push(`channels ${meta.channels} ≠ ${model.channels}`);
  if (meta.imageSize[0] !== model.imageSize[0] || meta.imageSize[1] !== model.imageSize[1]) {
    problems.push(`image ${meta.imageSize.join('×')} ≠ ${model.imageSize.join('×')}`);
  }
  if (meta.k > g.numPatches) problems.push(`k ${meta.k} > the model's ${g.numPatches} patches`);
  if (meta.numClasses === null) problems.push('the dataset has no labels (numClasses null)');
  else if (meta.numClasses > model.numClasses) problems.push(`${meta.numClasses} classes > the model head's ${model.numClasses}`);
  if (problems.length > 0) {
    throw new InputError(`dataset (${describe(meta)}) does not fit model ${variant} (patch ${model.patchSize}, ${model.channels} channel(s), image ${model.imageSize.join('×')}, ${model.numClasses} classes): ${problems.join('; ')}`, { file: where });
  }
}

/**
 * The model config: the variant, then the training data's classes and normalisation, then explicit
 * overrides; a variant or combination that is not a valid model is the caller's input (InputError).
 */
export function modelConfigFor(variant: string, meta: DatasetMeta, overrides: ViTConfigInput): ViTConfig {
  const fromData: ViTConfigInput = { mean: [...meta.mean], std: [...meta.std] };
  if (meta.numClasses !== null) fromData.numClasses = meta.numClasses;
  return variantConfig(variant, { ...fromData, ...overrides }, InputError);
}

/** Opens the datasets at `locations` (credentials go to the store only) and names them for messages. */
function open(locations: readonly DatasetLocation[], options: LoaderOptions): Promise<TicketLoader> {
  return TicketLoader.open(locations.map((l) => l.target), options);
}

const shown = (locations: readonly DatasetLocation[]): string => locations.map((l) => l.display).join(', ');

export async function openData(c: TrainConfig): Promise<OpenedData> {
  const train = await open(c.train, {
    batchSize: c.batchSize,
    seed: c.seed,
    flip: c.flip,
    verify: Verify.First,
    content: c.content,
    allowMixedPreprocessing: c.allowMixedPreprocessing,
    ...(c.subset !== null ? { subset: c.subset } : {}),
    ...(c.augment ? { augment: { ...c.augment, labelSmoothing: c.labelSmoothing } } : {}),
  });
  const model = modelConfigFor(c.model, train.meta, c.modelOverrides);
  checkCompatible(train.meta, model, c.model, shown(c.train));
  const evals = [];
  for (const e of c.eval) {
    // Datasets with views are evaluated on their plain view 0 (timm's evaluation transform), never a random crop.
    const loader = await open(e.dirs, { batchSize: c.evalBatchSize, shuffle: 'none', partition: 'exact', verify: Verify.First, content: c.content, allowMixedPreprocessing: c.allowMixedPreprocessing, viewIndex: 0 });
    checkCompatible(loader.meta, model, c.model, shown(e.dirs));
    // Evaluated with the training data's normalisation: its pixels must have been made the same way.
    checkSamePreprocessing(train.sources.datasets[0], loader.sources.datasets[0], c.allowMixedPreprocessing);
    evals.push({ name: e.name, loader });
  }
  return { train, evals, model };
}
