/**
 * The source registry: kind → opener. Adding a source is one file implementing `Source` plus one
 * line here.
 */
import type { Source, SourceConfig } from './types.js';
import { openImageFolder } from './imagefolder.js';
import { openIdx } from './idx.js';
import { openJsonl } from './jsonl.js';
import { openWebDataset } from './webdataset.js';
import { openHf } from './hf.js';

export type SourceKind = SourceConfig['kind'];
type ConfigOf<K extends SourceKind> = Extract<SourceConfig, { kind: K }>;
export type SourceOpener<K extends SourceKind> = (config: ConfigOf<K>) => Promise<Source>;

export const SOURCE_REGISTRY: { readonly [K in SourceKind]: SourceOpener<K> } = {
  imagefolder: openImageFolder,
  idx: openIdx,
  jsonl: openJsonl,
  webdataset: openWebDataset,
  hf: openHf,
};

export const SOURCE_KINDS = Object.keys(SOURCE_REGISTRY) as SourceKind[];
