/** Public API of the preview stage: contact sheets of ticket datasets. */
export { writePreview, renderSheet, encodeSheet, tileGeometry, PREVIEW_DEFAULTS, type PreviewOptions, type PreviewResult } from './write.js';
export { renderTile, tileScale, DROPPED_BASE, DROPPED_HATCH, DROPPED_DIM, type RgbImage, type TileGeometry } from './tile.js';
export { sourceGrids, datasetPatchify } from './source.js';
export { sheetLayout, tileOrigin, composeSheet, type SheetLayout } from './sheet.js';
export { captionSvg, labelText, titleText } from './caption.js';
export { PreviewSample, sampleRows, type SampleOptions } from './sample.js';
