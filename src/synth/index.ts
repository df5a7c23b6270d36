/** Synthetic datasets: Fashion-MNIST items on texture photos (`dlth make-cluttered`). */
export { makeCluttered, composeSplit, FASHION_MNIST_DIR, PROVENANCE_FILE, type ClutteredOptions, type ClutteredResult, type SplitResult } from './cluttered.js';
export { compose, placement, textureOf, COMPOSE_DEFAULTS, type ComposeConfig, type Placement, type Texture } from './compose.js';
export { encodeIdx, encodeIdxGz } from './idx-write.js';
export { parsePgm, readPgm, type GrayImage } from './pgm.js';
export { defaultTextureDir, loadTextures } from './textures.js';
export { grayContactSheet, writeGraySheet, type SheetOptions } from './preview.js';
