/**
 * Several ticket datasets read as one: manifests validated, geometry checked to agree (k, patch
 * size, channels, grid) and views too (meta.views), and all shards numbered globally (dataset 0's
 * shards first). The sample index space is the concatenation: global sample g lives in the shard
 * whose offset range holds it. A sample is an image: with K views, its K rows (r·K … r·K + K − 1 of
 * its shard) are one sample, of which a reader yields one view (src/views/pick.ts).
 */
import { InputError, ManifestError } from '../util/errors.js';
import { openDataset, type Dataset } from '../shards/reader.js';
import { MANIFEST_FILE } from '../shards/manifest.js';
import type { DatasetStore } from '../shards/store.js';
import { DatasetKind, type DatasetMeta, type ManifestShard } from '../shards/types.js';
import { shardOffsets } from './shuffle/types.js';
import { preprocessingDifference } from '../shards/preprocessing.js';
import { openStore, type HttpStoreOptions } from './store/index.js';
import { describeViews, sameViews, viewCount } from '../views/spec.js';

export interface ShardRef {
  dataset: number;
  entry: ManifestShard;
}

export interface Sources {
  datasets: Dataset[];
  /** Geometry and metadata of the first dataset (all agree on geometry). */
  meta: DatasetMeta;
  shards: ShardRef[];
  /** Samples per global shard (rows / K), and their start offsets (shards + 1 entries). */
  shardSamples: number[];
  offsets: Float64Array;
  /** Samples in all datasets together (rows / K). */
  rows: number;
  /** Rows of the largest shard (all its views). */
  maxShardRows: number;
  /** K: rows (views) per sample, the same in every dataset; 1 without views. */
  views: number;
}

/** Sample indices are uint32. */
export const MAX_SAMPLES = 2 ** 32 - 1;

const GEOMETRY = ['k', 'patchSize', 'channels', 'grid'] as const;

function checkGeometry(first: Dataset, other: Dataset): void {
  for (const key of GEOMETRY) {
    const a = JSON.stringify(first.meta[key]);
    const b = JSON.stringify(other.meta[key]);
    if (a !== b) {
      throw new ManifestError(`${key} is ${b}, but the first dataset (${first.store.location}) has ${a}; datasets read together must agree on k, patch size, channels and grid`, {
        file: other.store.describe(MANIFEST_FILE),
      });
    }
  }
}

/**
 * Datasets read together must have been made with the same preprocessing (resize, crop,
 * resampling, mean/std): they share one normalisation. `allowMixed` reads them anyway.
 */
export function checkSamePreprocessing(first: Pick<Dataset, 'meta' | 'store'>, other: Pick<Dataset, 'meta' | 'store'>, allowMixed: boolean): void {
  if (allowMixed) return;
  const diff = preprocessingDifference(first.meta, other.meta);
  if (diff !== null) {
    throw new InputError(`${other.store.location} and ${first.store.location} were preprocessed differently (${diff}): `
      + 'their pixels are not comparable and would share one normalisation; rebuild one with the other\'s preprocessing (materialize --scores), or allow mixed preprocessing', { file: other.store.describe(MANIFEST_FILE) });
  }
}

/** Datasets read together must hold the same views (none, or the same K, crops and seed): a reader picks one view per sample of all of them alike. */
function checkSameViews(first: Dataset, other: Dataset): void {
  if (sameViews(first.meta.views, other.meta.views)) return;
  throw new InputError(`has ${describeViews(other.meta.views)}, but the first dataset (${first.store.location}) has ${describeViews(first.meta.views)}: datasets read together must hold the same views`, {
    file: other.store.describe(MANIFEST_FILE),
  });
}

export async function openSources(locations: ReadonlyArray<string | DatasetStore>, http: HttpStoreOptions = {}, allowMixedPreprocessing = false): Promise<Sources> {
  if (locations.length === 0) throw new InputError('no dataset given');
  const datasets: Dataset[] = [];
  for (const loc of locations) {
    const store = typeof loc === 'string' ? openStore(loc, http) : loc;
    const ds = await openDataset(store, { kind: DatasetKind.Tickets });
    if (datasets.length > 0) {
      checkGeometry(datasets[0], ds);
      checkSameViews(datasets[0], ds);
      checkSamePreprocessing(datasets[0], ds, allowMixedPreprocessing);
    }
    datasets.push(ds);
  }
  const shards = datasets.flatMap((ds, dataset) => ds.manifest.shards.map((entry) => ({ dataset, entry })));
  const views = viewCount(datasets[0].meta);
  // Manifests were checked: every shard's rows are a multiple of K.
  const shardSamples = shards.map((s) => s.entry.rows / views);
  const offsets = shardOffsets(shardSamples);
  if (offsets[shards.length] > MAX_SAMPLES) throw new InputError(`${offsets[shards.length]} rows in total exceed the loader's ${MAX_SAMPLES}`);
  return {
    datasets,
    meta: datasets[0].meta,
    shards,
    shardSamples,
    offsets,
    rows: offsets[shards.length],
    maxShardRows: Math.max(0, ...shards.map((s) => s.entry.rows)),
    views,
  };
}
