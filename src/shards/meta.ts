/** Validation of DatasetMeta (the `dlth` schema metadata, also stored in the manifest). */
import { arr, int, isObject, nullable, num, obj, oneOf, str, type Fail } from './check.js';
import { DatasetKind, FORMAT_NAME, FORMAT_VERSION, Policy, type DatasetMeta } from './types.js';

/** Grid sizes are stored as uint16 raster indices. */
export const MAX_GRID = 65536;
export const MAX_PATCH_BYTES = 1 << 20;
export const MAX_CLASSES = 1_000_000;

const META_KEYS = {
  required: ['format', 'version', 'kind', 'imageSize', 'patchSize', 'grid', 'channels', 'mean', 'std', 'k', 'keep',
    'policy', 'seed', 'selector', 'source', 'numClasses'],
  optional: ['kDerivation'],
};

function pair(v: unknown, path: string, fail: Fail): [number, number] {
  const a = arr(v, path, fail, 2, 2);
  return [int(a[0], `${path}[0]`, fail, 1, 1 << 20), int(a[1], `${path}[1]`, fail, 1, 1 << 20)];
}

function selector(v: unknown, path: string, fail: Fail): void {
  const s = obj(v, path, fail, { required: ['fingerprint', 'model', 'mode', 'params'] });
  for (const key of ['fingerprint', 'model', 'mode']) str(s[key], `${path}.${key}`, fail);
  if (!isObject(s.params)) fail(`${path}.params: expected an object`);
}

function source(v: unknown, path: string, fail: Fail): void {
  const s = obj(v, path, fail, { required: ['kind', 'fingerprint', 'classes'], optional: ['split'] });
  str(s.kind, `${path}.kind`, fail);
  str(s.fingerprint, `${path}.fingerprint`, fail);
  if (s.split !== undefined) str(s.split, `${path}.split`, fail);
  nullable(s.classes, (c) => arr(c, `${path}.classes`, fail, 0, MAX_CLASSES).forEach((x, i) => str(x, `${path}.classes[${i}]`, fail)));
}

/** Checks a DatasetMeta value from untrusted JSON, including the consistency of grid, k and channels. */
export function checkMeta(v: unknown, path: string, fail: Fail): DatasetMeta {
  const m = obj(v, path, fail, META_KEYS);
  oneOf(m.format, `${path}.format`, fail, [FORMAT_NAME]);
  oneOf(m.version, `${path}.version`, fail, [FORMAT_VERSION]);
  const kind = oneOf(m.kind, `${path}.kind`, fail, Object.values(DatasetKind));
  const imageSize = pair(m.imageSize, `${path}.imageSize`, fail);
  const p = int(m.patchSize, `${path}.patchSize`, fail, 1, 4096);
  const grid = pair(m.grid, `${path}.grid`, fail);
  const channels = int(m.channels, `${path}.channels`, fail, 1, 4);
  if (grid[0] * p !== imageSize[0] || grid[1] * p !== imageSize[1]) {
    fail(`${path}.grid: ${grid.join('×')} patches of ${p} px do not tile the image ${imageSize.join('×')}`);
  }
  const n = grid[0] * grid[1];
  if (n > MAX_GRID) fail(`${path}.grid: ${n} patches exceed the uint16 position range (${MAX_GRID})`);
  if (p * p * channels > MAX_PATCH_BYTES) fail(`${path}.patchSize: patches of ${p * p * channels} bytes are too large`);
  for (const key of ['mean', 'std'] as const) {
    arr(m[key], `${path}.${key}`, fail, channels, channels).forEach((x, i) => num(x, `${path}.${key}[${i}]`, fail));
  }
  const k = int(m.k, `${path}.k`, fail, 1, n);
  if (kind === DatasetKind.Scores && k !== n) fail(`${path}.k: a scores dataset has k = N = ${n}, got ${k}`);
  const keep = num(m.keep, `${path}.keep`, fail);
  if (!(keep > 0 && keep <= 1)) fail(`${path}.keep: expected a fraction in (0, 1], got ${keep}`);
  nullable(m.policy, (x) => oneOf(x, `${path}.policy`, fail, Object.values(Policy)));
  if (kind === DatasetKind.Tickets && m.policy === null) fail(`${path}.policy: a tickets dataset needs a policy`);
  if (m.kDerivation !== undefined) str(m.kDerivation, `${path}.kDerivation`, fail);
  nullable(m.seed, (x) => int(x, `${path}.seed`, fail, 0, Number.MAX_SAFE_INTEGER));
  nullable(m.selector, (x) => selector(x, `${path}.selector`, fail));
  source(m.source, `${path}.source`, fail);
  nullable(m.numClasses, (x) => int(x, `${path}.numClasses`, fail, 1, MAX_CLASSES));
  return m as unknown as DatasetMeta;
}
