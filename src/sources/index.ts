/** Image sources: public API. */
import { InputError, show } from '../util/errors.js';
import { SOURCE_KINDS, SOURCE_REGISTRY, type SourceOpener } from './registry.js';
import type { Source, SourceConfig } from './types.js';

export { SOURCE_REGISTRY, SOURCE_KINDS, type SourceKind, type SourceOpener } from './registry.js';
export { openImageFolder } from './imagefolder.js';
export { FileListSource, type FileSample } from './file-list.js';
export { openIdx, IdxSource } from './idx.js';
export { parseIdx, readIdx, type IdxArray } from './idx_format.js';
export { openJsonl } from './jsonl.js';
export { IMAGE_EXTENSIONS, compareIds, listingFingerprint } from './common.js';
export type * from './types.js';

/** Opens the source a config describes (dispatching on `kind`). */
export async function openSource(config: SourceConfig): Promise<Source> {
  const opener = (SOURCE_REGISTRY as Record<string, SourceOpener<SourceConfig['kind']> | undefined>)[config.kind];
  if (!opener) throw new InputError(`unknown source kind ${show(config.kind)}; known: ${SOURCE_KINDS.join(', ')}`);
  return opener(config);
}
