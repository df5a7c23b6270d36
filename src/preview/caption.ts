/**
 * Caption text of a contact sheet (pure): the title and per-tile labels as one transparent SVG the
 * size of the sheet, composited over the pixels by sharp (librsvg; DejaVu Sans or any sans font).
 */
import { escapeXml } from '../util/xml.js';
import type { DatasetMeta } from '../shards/types.js';
import { tileOrigin, type SheetLayout } from './sheet.js';

/** Shortens `text` to about `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

/** The label caption: the class name when the metadata has one, else the number, else "—". */
export function labelText(label: number | null, classes: readonly string[] | null): string {
  if (label === null) return '—';
  const name = classes?.[label];
  return name !== undefined ? name : `class ${label}`;
}

/** Two title lines: the dataset (name, policy, k of N, how k was derived) and its selector. */
export function titleText(meta: DatasetMeta, name: string): [string, string] {
  const n = meta.grid[0] * meta.grid[1];
  const first = [name, `${meta.policy ?? meta.kind}`, `k = ${meta.k}/${n} (${(100 * meta.k / n).toFixed(1)}%)`];
  const t = meta.evitTicket;
  if (t) first.push(t.taken === 'survivors' ? `the r = ${t.rate} EViT ticket` : `prefix of the r = ${t.rate} rank, not an EViT ticket (EViT keeps ${t.survivors})`);
  else if (meta.kDerivation) first.push(`k from ${meta.kDerivation}`);
  if (meta.seed !== null && meta.policy === 'random') first.push(`seed ${meta.seed}`);
  const sel = meta.selector;
  let second = 'no selector';
  if (sel) {
    const params = Object.entries(sel.params).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ');
    second = `selector ${sel.model} · ${sel.mode}${params ? ` ${params}` : ''} · ${sel.fingerprint.slice(0, 23)}`;
  }
  return [first.join(' · '), second];
}

/** A tile's caption: its label, and optionally the sample id on a second, smaller line. */
export type Caption = string | readonly [label: string, id: string];

/** SVG overlay with the two title lines, one caption per tile (centred under it) and a label per row of tiles (in its strip, `l.rowHeader`). */
export function captionSvg(l: SheetLayout, title: readonly [string, string], captions: readonly Caption[], rowLabels: readonly string[] = []): string {
  const font = `font-family="DejaVu Sans, Helvetica, Arial, sans-serif"`;
  const maxChars = Math.max(4, Math.floor(l.tileWidth / 6.5));
  const idChars = Math.max(6, Math.floor(l.tileWidth / 5.3)); // the second line's smaller font
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}">`,
    `<text x="${l.pad}" y="${l.pad + 12}" ${font} font-size="12" fill="#222">${escapeXml(clip(title[0], Math.floor(l.width / 6.6)))}</text>`,
    `<text x="${l.pad}" y="${l.pad + 28}" ${font} font-size="10" fill="#555">${escapeXml(clip(title[1], Math.floor(l.width / 5.6)))}</text>`,
  ];
  rowLabels.forEach((label, r) => {
    const { x, y } = tileOrigin(l, r * l.columns);
    lines.push(`<text x="${x}" y="${y - 4}" ${font} font-size="11" font-weight="bold" fill="#222">${escapeXml(clip(label, Math.floor((l.width - x) / 6.8)))}</text>`);
  });
  captions.forEach((c, i) => {
    const { x, y } = tileOrigin(l, i);
    const cx = x + l.tileWidth / 2;
    const [label, id] = typeof c === 'string' ? [c, null] : c;
    const cy = y + l.tileHeight + 13;
    lines.push(`<text x="${cx}" y="${cy}" ${font} font-size="11" fill="#333" text-anchor="middle">${escapeXml(clip(label, maxChars))}</text>`);
    // Ids keep their end (the file name), where they differ most.
    if (id !== null) {
      const shown = id.length > idChars ? `…${id.slice(id.length - idChars + 1)}` : id;
      lines.push(`<text x="${cx}" y="${cy + 12}" ${font} font-size="9" fill="#777" text-anchor="middle">${escapeXml(shown)}</text>`);
    }
  });
  lines.push('</svg>');
  return lines.join('\n');
}
