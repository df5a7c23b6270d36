/**
 * The Arrow schema of each dataset kind, built from its metadata, and the check that a shard's
 * schema matches what its manifest promises. The schema is the contract: see schemas/README.md.
 */
import { Binary, Field, FixedSizeList, Float32, Int32, Schema, Uint16, Uint32, Uint8, Utf8, type DataType } from 'apache-arrow';
import { ShardError } from '../util/errors.js';
import { canonicalJson } from '../util/hash.js';
import { DatasetKind, METADATA_KEY, type DatasetMeta } from './types.js';

/** Bytes of one patch: p · p · C. */
export function patchBytes(meta: Pick<DatasetMeta, 'patchSize' | 'channels'>): number {
  return meta.patchSize * meta.patchSize * meta.channels;
}

/** Patches in the full grid: N = G_h · G_w. */
export function gridSize(meta: DatasetMeta): number {
  return meta.grid[0] * meta.grid[1];
}

function list(type: DataType, size: number): FixedSizeList {
  return new FixedSizeList(size, new Field('item', type, false));
}

/** Bytes of a score row's content hash (sha256). */
export const CONTENT_BYTES = 32;

/** The rates of the chains a score dataset stores: meta.rates, or one chain (its params' rate, or null). */
export function chainRates(meta: DatasetMeta): number[] {
  if (meta.rates !== undefined) return meta.rates;
  const r = meta.selector?.params.rate;
  return [typeof r === 'number' ? r : Number.NaN];
}

/**
 * Column names of each further chain of a multi-rate score dataset (meta.rates[1…]), in column
 * order: the rate written as JavaScript's shortest round-trip decimal (`String(0.8)` = "0.8").
 */
export function chainColumns(meta: DatasetMeta): { rate: number; scores: string; rank: string }[] {
  return (meta.rates ?? []).slice(1).map((rate) => ({ rate, scores: `scores_r${String(rate)}`, rank: `rank_r${String(rate)}` }));
}

/** Values of a score row's `box` column: left, top, width, height. */
export const BOX_VALUES = 4;

/**
 * The columns of datasets with views (meta.views), after all others: `view` (uint8) in both kinds;
 * score datasets also `box` (uint32 [4]: left, top, width, height in source pixels) and `flip` (uint8, 0 or 1).
 */
function viewFields(meta: DatasetMeta): Field[] {
  if (!meta.views) return [];
  const view = new Field('view', new Uint8(), false);
  if (meta.kind !== DatasetKind.Scores) return [view];
  return [view, new Field('box', list(new Uint32(), BOX_VALUES), false), new Field('flip', new Uint8(), false)];
}

/** The Arrow schema (fields and `dlth` metadata) of a dataset with this metadata. */
export function arrowSchema(meta: DatasetMeta): Schema {
  const metadata = new Map([[METADATA_KEY, canonicalJson(meta)]]);
  const head = [new Field('id', new Utf8(), false), new Field('label', new Int32(), true)];
  if (meta.kind === DatasetKind.Scores) {
    const n = gridSize(meta);
    const content = meta.contentHash === 'sha256' ? [new Field('content', list(new Uint8(), CONTENT_BYTES), false)] : [];
    const chains = chainColumns(meta).flatMap((c) => [new Field(c.scores, list(new Float32(), n), false), new Field(c.rank, list(new Uint16(), n), false)]);
    return new Schema(
      [...head, new Field('scores', list(new Float32(), n), false), new Field('rank', list(new Uint16(), n), false), ...chains, ...content, ...viewFields(meta)],
      metadata,
    );
  }
  // A JPEG-encoded dataset (meta.patchEncoding) stores one JPEG per row: a binary column.
  const patches = meta.patchEncoding === undefined ? list(list(new Uint8(), patchBytes(meta)), meta.k) : new Binary();
  return new Schema(
    [
      ...head,
      new Field('patches', patches, false),
      new Field('positions', list(new Uint16(), meta.k), false),
      new Field('scores', list(new Float32(), meta.k), false),
      ...viewFields(meta),
    ],
    metadata,
  );
}

function describe(field: Field): string {
  return `${field.name}: ${String(field.type)}${field.nullable ? ' (nullable)' : ''}`;
}

function typeEquals(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId || String(a) !== String(b)) return false;
  const ac = a.children ?? [];
  const bc = b.children ?? [];
  if (ac.length !== bc.length) return false;
  return ac.every((c: Field, i: number) => typeEquals(c.type, bc[i].type));
}

/**
 * Checks a shard's schema against the schema the manifest's metadata implies: same field names,
 * types and nullability, and identical `dlth` metadata. Child field names are not checked (other
 * writers name list items differently). Throws a ShardError naming `file`.
 */
export function checkSchema(actual: Schema, meta: DatasetMeta, file: string): void {
  const expected = arrowSchema(meta);
  if (actual.fields.length !== expected.fields.length) {
    throw new ShardError(
      `schema has ${actual.fields.length} fields (${actual.fields.map(describe).join(', ')}), expected ${expected.fields.map(describe).join(', ')}`,
      { file },
    );
  }
  expected.fields.forEach((want, i) => {
    const got = actual.fields[i];
    if (got.name !== want.name || got.nullable !== want.nullable || !typeEquals(got.type, want.type)) {
      throw new ShardError(`schema field ${i} is ${describe(got)}, expected ${describe(want)}`, { file });
    }
  });
  const raw = actual.metadata.get(METADATA_KEY);
  if (raw === undefined) throw new ShardError(`schema metadata has no "${METADATA_KEY}" key`, { file });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ShardError(`schema metadata "${METADATA_KEY}" is not valid JSON`, { file });
  }
  if (canonicalJson(parsed) !== canonicalJson(meta)) {
    throw new ShardError(`schema metadata "${METADATA_KEY}" differs from the manifest's meta`, { file });
  }
}
