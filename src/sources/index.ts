/** Image sources: public API. */
export { openSource } from './open.js';

export { SOURCE_REGISTRY, SOURCE_KINDS, type SourceKind, type SourceOpener } from './registry.js';
export { openImageFolder } from './imagefolder.js';
export { FileListSource, type FileSample } from './file-list.js';
export { openIdx, IdxSource } from './idx.js';
export { parseIdx, readIdx, type IdxArray } from './idx_format.js';
export { openJsonl } from './jsonl.js';
export { IMAGE_EXTENSIONS, compareIds, listingFingerprint } from './common.js';
export type * from './types.js';
