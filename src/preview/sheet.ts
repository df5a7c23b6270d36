/**
 * Contact-sheet layout (pure): tiles in a grid with a caption strip under each and a title line on
 * top. Pixels are composed here; the text is an SVG overlay (caption.ts) rasterised by sharp.
 */
import type { RgbImage } from './tile.js';

export interface SheetLayout {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  pad: number;
  captionHeight: number;
  headerHeight: number;
  /** A strip above each row of tiles for the row's label (0: none). */
  rowHeader: number;
  width: number;
  height: number;
}

export const SHEET_BACKGROUND = 248;

/** A near-square grid for `count` tiles of one size; `rowHeader`: the height of a label strip above each row. */
export function sheetLayout(count: number, tileWidth: number, tileHeight: number, columns?: number, rowHeader = 0): SheetLayout {
  const cols = Math.max(1, Math.min(count, columns ?? Math.ceil(Math.sqrt(count))));
  const rows = Math.max(1, Math.ceil(count / cols));
  const pad = 8;
  const captionHeight = 30; // two lines: label, sample id
  const headerHeight = 36;
  return {
    columns: cols,
    rows,
    tileWidth,
    tileHeight,
    pad,
    captionHeight,
    headerHeight,
    rowHeader,
    width: pad + cols * (tileWidth + pad),
    height: headerHeight + pad + rows * (rowHeader + tileHeight + captionHeight + pad),
  };
}

/** Top-left corner of tile `i`. */
export function tileOrigin(l: SheetLayout, i: number): { x: number; y: number } {
  const col = i % l.columns;
  const row = Math.floor(i / l.columns);
  return { x: l.pad + col * (l.tileWidth + l.pad), y: l.headerHeight + l.pad + row * (l.rowHeader + l.tileHeight + l.captionHeight + l.pad) + l.rowHeader };
}

/** Copies the tiles into a sheet-sized RGB buffer on a light background. */
export function composeSheet(tiles: readonly RgbImage[], l: SheetLayout): RgbImage {
  const data = new Uint8Array(l.width * l.height * 3).fill(SHEET_BACKGROUND);
  tiles.forEach((t, i) => {
    const { x, y } = tileOrigin(l, i);
    const rowBytes = Math.min(t.width, l.tileWidth) * 3;
    for (let ty = 0; ty < Math.min(t.height, l.tileHeight); ty++) {
      const src = ty * t.width * 3;
      data.set(t.data.subarray(src, src + rowBytes), ((y + ty) * l.width + x) * 3);
    }
  });
  return { width: l.width, height: l.height, data };
}
