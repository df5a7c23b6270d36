/**
 * Validation of DatasetMeta (the `dlth` schema metadata, also stored in the manifest): its shape
 * by schemas/manifest.schema.json (#/$defs/meta, the one source of truth), then the consistency
 * a JSON Schema cannot express (grid tiling, k within the grid, one mean/std per channel, …).
 */
import { schemaError } from '../util/schemas.js';
import type { Fail } from './check.js';
import { DatasetKind, type DatasetMeta } from './types.js';

/** Grid sizes are stored as uint16 raster indices. */
export const MAX_GRID = 65536;
export const MAX_PATCH_BYTES = 1 << 20;
export const MAX_CLASSES = 1_000_000;

/** meta.rates: a score dataset of mode evit, distinct rates, recorded as the selector's `rate` list. */
function checkRates(m: DatasetMeta, path: string, fail: Fail): void {
  const rates = m.rates ?? [];
  if (m.kind !== DatasetKind.Scores || m.selector?.mode !== 'evit') fail(`${path}.rates: only score datasets of mode evit store several chains`);
  if (new Set(rates).size !== rates.length) fail(`${path}.rates: ${JSON.stringify(rates)} repeats a rate`);
  const recorded = m.selector?.params.rate;
  if (!Array.isArray(recorded) || recorded.length !== rates.length || recorded.some((r, i) => r !== rates[i])) {
    fail(`${path}.rates: ${JSON.stringify(rates)} differs from selector.params.rate ${JSON.stringify(recorded ?? null)}`);
  }
}

/** Checks a DatasetMeta value from untrusted JSON: shape by the schema, then consistency. */
export function checkMeta(v: unknown, path: string, fail: Fail): DatasetMeta {
  const error = schemaError('manifest.schema.json', v, '#/$defs/meta', path);
  if (error) fail(`${error.path}: ${error.message}`);
  const m = v as DatasetMeta;
  const { imageSize, patchSize: p, grid, channels } = m;
  if (grid[0] * p !== imageSize[0] || grid[1] * p !== imageSize[1]) {
    fail(`${path}.grid: ${grid.join('×')} patches of ${p} px do not tile the image ${imageSize.join('×')}`);
  }
  const n = grid[0] * grid[1];
  if (n > MAX_GRID) fail(`${path}.grid: ${n} patches exceed the uint16 position range (${MAX_GRID})`);
  if (p * p * channels > MAX_PATCH_BYTES) fail(`${path}.patchSize: patches of ${p * p * channels} bytes are too large`);
  for (const key of ['mean', 'std'] as const) {
    if (m[key].length !== channels) fail(`${path}.${key}: ${m[key].length} values for ${channels} channel(s)`);
    m[key].forEach((x, i) => Number.isFinite(x) || fail(`${path}.${key}[${i}]: expected a finite number`));
  }
  if (m.k > n) fail(`${path}.k: ${m.k} is more than the grid's ${n} patches`);
  if (m.kind === DatasetKind.Scores && m.k !== n) fail(`${path}.k: a scores dataset has k = N = ${n}, got ${m.k}`);
  if (m.kind === DatasetKind.Tickets && m.policy === null) fail(`${path}.policy: a tickets dataset needs a policy`);
  if (m.contentHash !== undefined && m.kind !== DatasetKind.Scores) fail(`${path}.contentHash: only score datasets record content hashes`);
  if (m.rates !== undefined) checkRates(m, path, fail);
  if (m.evitTicket !== undefined && (m.kind !== DatasetKind.Tickets || m.selector?.mode !== 'evit')) fail(`${path}.evitTicket: only ticket datasets made from EViT scores have one`);
  if (m.views !== undefined) {
    for (const key of ['scale', 'ratio'] as const) if (m.views[key][0] > m.views[key][1]) fail(`${path}.views.${key}: min ${m.views[key][0]} > max ${m.views[key][1]}`);
  }
  if (m.patchEncoding !== undefined) checkPatchEncoding(m, path, fail);
  return m;
}

/** meta.patchEncoding: ticket datasets only; the mosaic's cells hold a patch each and fit a JPEG. */
function checkPatchEncoding(m: DatasetMeta, path: string, fail: Fail): void {
  const enc = m.patchEncoding as NonNullable<DatasetMeta['patchEncoding']>;
  if (m.kind !== DatasetKind.Tickets) fail(`${path}.patchEncoding: only ticket datasets store patches`);
  if (m.channels !== 1 && m.channels !== 3) fail(`${path}.patchEncoding: JPEG holds 1 or 3 channels, the dataset has ${m.channels}`);
  if (enc.cell < m.patchSize) fail(`${path}.patchEncoding.cell: ${enc.cell} is smaller than the patch size ${m.patchSize}`);
  if (enc.columns > m.k) fail(`${path}.patchEncoding.columns: ${enc.columns} is more than k = ${m.k}`);
  const side = Math.max(enc.columns, Math.ceil(m.k / enc.columns)) * enc.cell;
  if (side > 65535) fail(`${path}.patchEncoding: a mosaic side of ${side} pixels exceeds JPEG's 65535`);
}
