/** Synthetic datasets: Fashion-MNIST items on texture photos or in a patch soup (`dlth make-cluttered`). */
export { makeCluttered, maskFileName, FASHION_MNIST_DIR, PROVENANCE_FILE, type ClutteredOptions, type ClutteredResult, type SplitResult } from './cluttered.js';
export { Background, composeSplit, resolveBackground, SOUP_DEFAULTS, type BackgroundOptions, type Composed, type ResolvedBackground, type SplitItems } from './backgrounds.js';
export { compose, placement, textureOf, COMPOSE_DEFAULTS, type ComposeConfig, type Placement, type Texture } from './compose.js';
export { cellWeights, composeSoup, soupPlacement, type SoupConfig, type SoupItems, type SoupPlacement } from './soup.js';
export { encodeIdx, encodeIdxGz } from './idx-write.js';
export { parsePgm, readPgm, type GrayImage } from './pgm.js';
export { defaultTextureDir, loadTextures } from './textures.js';
export { grayContactSheet, writeGraySheet, type SheetOptions } from './preview.js';
