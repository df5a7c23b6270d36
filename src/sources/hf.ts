/**
 * `hf`: a Hugging Face dataset as Parquet files (`files`: paths, directories, globs, brace ranges;
 * or `root`, a directory of them) or as a `save_to_disk` directory (`root` holding `state.json` and
 * `data-*.arrow` Arrow stream files; a DatasetDict's `root/<split>`, `split` default `train`).
 * The image column (`imageColumn`, default `image`) holds HF `Image` structs {bytes, path} or
 * plain binary; the label column (`labelColumn`, default `label`) integers (HF `ClassLabel`), whose
 * names come from `classes`, else the features in `dataset_info.json` or the Parquet file's
 * `huggingface` metadata. Without a label column the source is unlabelled (an error if
 * `labelColumn` was named). Rows are taken in file order (files as listed, Parquet globs and
 * directories sorted); ids are `<split or "data">/<row>` zero-padded, so sorted id order is row
 * order; `offset`/`limit` take a contiguous range, ids keeping the row number.
 * A row whose image is missing, stored only as a path, or larger than maxFileBytes, or whose label
 * is null or negative (HF's -1) or not below the number of classes, is a failed sample
 * (errors.jsonl, `<file>#<row>`). Labels are read at open; images when loaded, one Parquet row group
 * (or one Arrow file) at a time, a few kept: a row group's image column above 1 GiB, an Arrow file
 * above 2 GiB, or any file the parser rejects is an InputError naming the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { tableFromIPC, type Table } from 'apache-arrow';
import { ImageError, InputError, show } from '../util/errors.js';
import type { HfSourceConfig, ImagePayload, SampleRef, Source } from './types.js';
import { checkIndex, listingFingerprint, resolveMaxFileBytes } from './common.js';
import { expandFileList } from './paths.js';

/** Largest image column of one Parquet row group, uncompressed (it is decoded whole). */
export const MAX_ROW_GROUP_BYTES = 1 << 30;
/** Largest save_to_disk Arrow file (read whole). */
export const MAX_ARROW_FILE_BYTES = 2 * 1024 ** 3;
/** Largest dataset_info.json / state.json read. */
const MAX_JSON_BYTES = 16 << 20;
/** Chunks (row groups, Arrow files) whose images are kept decoded. */
const CACHE = 3;

interface Chunk {
  file: string;
  /** Global index of the chunk's first row. */
  start: number;
  rows: number;
  /** Parquet: the row range in the file; Arrow: unused. */
  fileRow: number;
  parquet: boolean;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);

async function readJson(file: string): Promise<unknown> {
  const st = await stat(file);
  if (!st.isFile() || st.size > MAX_JSON_BYTES) throw new InputError(`not a regular file of at most ${MAX_JSON_BYTES} bytes`, { file });
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`invalid JSON: ${message(err)}`, { file, cause: err });
  }
}

/** Class names of a ClassLabel feature in HF `features` JSON, or null. */
function classLabelNames(features: unknown, column: string): string[] | null {
  if (typeof features !== 'object' || features === null) return null;
  const f = (features as Record<string, unknown>)[column] as { _type?: unknown; names?: unknown } | undefined;
  if (f?._type !== 'ClassLabel' || !Array.isArray(f.names) || !f.names.every((n) => typeof n === 'string')) return null;
  return f.names as string[];
}

function toLabel(v: unknown): number | null {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= 0x7fffffff ? n : null;
}

/** The encoded bytes of an image cell, or why there are none. */
function imageBytes(v: unknown): Uint8Array | string {
  if (v instanceof Uint8Array) return v;
  if (v === null || v === undefined) return 'no image (null)';
  if (typeof v === 'object') {
    const o = v as { bytes?: unknown; path?: unknown };
    if (o.bytes instanceof Uint8Array) return o.bytes;
    if (typeof o.path === 'string') return `the image is stored as a path only (${show(o.path)}), not as bytes`;
  }
  return `the image cell is ${typeof v === 'object' ? 'a struct without bytes' : typeof v}, not HF Image {bytes, path} or binary`;
}

async function parquetMeta(file: string): Promise<{ buffer: AsyncBuffer; meta: FileMetaData }> {
  try {
    const buffer = await asyncBufferFromFile(file);
    return { buffer, meta: await parquetMetadataAsync(buffer) };
  } catch (err) {
    throw new InputError(`cannot read Parquet file: ${message(err)}`, { file, cause: err });
  }
}

class Loader {
  private readonly cache = new Map<number, Promise<unknown[]>>();
  constructor(private readonly chunks: readonly Chunk[], private readonly column: string) {}

  rows(c: number): Promise<unknown[]> {
    const hit = this.cache.get(c);
    if (hit) {
      this.cache.delete(c);
      this.cache.set(c, hit);
      return hit;
    }
    const p = this.read(this.chunks[c]);
    this.cache.set(c, p);
    p.catch(() => this.cache.delete(c));
    while (this.cache.size > CACHE) this.cache.delete(this.cache.keys().next().value as number);
    return p;
  }

  private async read(chunk: Chunk): Promise<unknown[]> {
    try {
      if (chunk.parquet) {
        const file = await asyncBufferFromFile(chunk.file);
        const rows = await parquetReadObjects({ file, columns: [this.column], rowStart: chunk.fileRow, rowEnd: chunk.fileRow + chunk.rows, utf8: false });
        return rows.map((r) => (r as Record<string, unknown>)[this.column]);
      }
      const table = await readArrow(chunk.file);
      const col = table.getChild(this.column);
      return Array.from({ length: table.numRows }, (_, i) => col?.get(i) ?? null);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot read ${chunk.parquet ? 'Parquet' : 'Arrow'} file: ${message(err)}`, { file: chunk.file, cause: err });
    }
  }
}

async function readArrow(file: string): Promise<Table> {
  const st = await stat(file);
  if (!st.isFile()) throw new InputError('not a regular file', { file });
  if (st.size > MAX_ARROW_FILE_BYTES) throw new InputError(`${st.size} bytes is more than the ${MAX_ARROW_FILE_BYTES}-byte limit of an Arrow file`, { file });
  try {
    return tableFromIPC(await readFile(file));
  } catch (err) {
    throw new InputError(`cannot read Arrow stream file: ${message(err)}`, { file, cause: err });
  }
}

export class HfSource implements Source {
  readonly kind = 'hf';
  private readonly loader: Loader;
  private readonly pad: number;
  constructor(
    private readonly chunks: readonly Chunk[],
    private readonly labels: readonly (number | null)[] | null,
    private readonly problems: ReadonlyMap<number, string>,
    private readonly prefix: string,
    private readonly first: number,
    readonly size: number,
    total: number,
    readonly classes: readonly string[] | null,
    readonly fingerprint: string,
    imageColumn: string,
    private readonly maxFileBytes: number,
  ) {
    this.loader = new Loader(chunks, imageColumn);
    this.pad = Math.max(5, String(Math.max(0, total - 1)).length);
  }

  private chunkOf(row: number): number {
    let [lo, hi] = [0, this.chunks.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid].start <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private where(row: number): string {
    const c = this.chunks[this.chunkOf(row)];
    return `${c.file}#${c.fileRow + row - c.start}`;
  }

  ref(index: number): SampleRef {
    checkIndex(index, this.size, this.kind);
    const row = this.first + index;
    return { id: `${this.prefix}/${String(row).padStart(this.pad, '0')}`, label: this.labels ? this.labels[row] : null, location: this.where(row) };
  }

  async load(index: number): Promise<ImagePayload> {
    checkIndex(index, this.size, this.kind);
    const row = this.first + index;
    const file = this.where(row);
    const problem = this.problems.get(row);
    if (problem) throw new ImageError(problem, { file });
    const c = this.chunkOf(row);
    const value = (await this.loader.rows(c))[row - this.chunks[c].start];
    const bytes = imageBytes(value);
    if (typeof bytes === 'string') throw new ImageError(bytes, { file });
    if (bytes.byteLength > this.maxFileBytes) throw new ImageError(`${bytes.byteLength} bytes is more than maxFileBytes ${this.maxFileBytes}`, { file });
    return { kind: 'encoded', file, bytes };
  }
}

interface Listing {
  chunks: Chunk[];
  labels: (number | null)[] | null;
  classes: string[] | null;
  sizes: { file: string; size: number }[];
}

async function listParquet(files: readonly string[], imageColumn: string, labelColumn: string, labelRequired: boolean): Promise<Listing> {
  const chunks: Chunk[] = [];
  let labels: (number | null)[] | null = [];
  let classes: string[] | null = null;
  const sizes: { file: string; size: number }[] = [];
  let start = 0;
  for (const file of files) {
    const { buffer, meta } = await parquetMeta(file);
    sizes.push({ file: basename(file), size: buffer.byteLength });
    const names = meta.schema.slice(1).map((s) => s.name);
    if (!names.includes(imageColumn)) throw new InputError(`no column ${show(imageColumn)} (imageColumn); columns: ${names.slice(0, 20).join(', ')}`, { file });
    const hasLabel = names.includes(labelColumn);
    if (!hasLabel && labelRequired) throw new InputError(`no label column ${show(labelColumn)} (labelColumn)`, { file });
    if (sizes.length === 1) labels = hasLabel ? [] : null;
    else if (hasLabel !== (labels !== null)) throw new InputError(`${hasLabel ? 'a' : 'no'} label column ${show(labelColumn)}, unlike the first file`, { file });
    const hf = meta.key_value_metadata?.find((k) => k.key === 'huggingface')?.value;
    if (hf && classes === null) {
      try {
        classes = classLabelNames((JSON.parse(hf) as { info?: { features?: unknown } }).info?.features, labelColumn);
      } catch {
        // metadata we cannot read names no classes
      }
    }
    let fileRow = 0;
    for (const group of meta.row_groups) {
      const rows = Number(group.num_rows);
      const bytes = group.columns.filter((c) => c.meta_data?.path_in_schema[0] === imageColumn).reduce((s, c) => s + Number(c.meta_data?.total_uncompressed_size ?? 0), 0);
      if (bytes > MAX_ROW_GROUP_BYTES) throw new InputError(`a row group's ${show(imageColumn)} column is ${bytes} bytes (more than ${MAX_ROW_GROUP_BYTES}); write smaller row groups`, { file });
      if (rows > 0) chunks.push({ file, start, rows, fileRow, parquet: true });
      start += rows;
      fileRow += rows;
    }
    if (labels !== null) {
      try {
        const rows = await parquetReadObjects({ file: buffer, columns: [labelColumn] });
        if (rows.length !== fileRow) throw new Error(`${rows.length} labels for ${fileRow} rows`);
        for (const r of rows) labels.push(toLabel((r as Record<string, unknown>)[labelColumn]));
      } catch (err) {
        throw new InputError(`cannot read Parquet file: ${message(err)}`, { file, cause: err });
      }
    }
  }
  return { chunks, labels, classes, sizes };
}

async function listArrow(dir: string, imageColumn: string, labelColumn: string, labelRequired: boolean): Promise<Listing> {
  const state = (await readJson(join(dir, 'state.json'))) as { _data_files?: unknown };
  const files = Array.isArray(state._data_files) ? state._data_files.map((f) => (f as { filename?: unknown }).filename) : null;
  if (!files || files.length === 0 || !files.every((f): f is string => typeof f === 'string' && /^[A-Za-z0-9._-]+\.arrow$/.test(f))) {
    throw new InputError('state.json lists no data files (`_data_files`: [{"filename": "data-….arrow"}])', { file: join(dir, 'state.json') });
  }
  let classes: string[] | null = null;
  if (existsSync(join(dir, 'dataset_info.json'))) {
    classes = classLabelNames(((await readJson(join(dir, 'dataset_info.json'))) as { features?: unknown }).features, labelColumn);
  }
  const chunks: Chunk[] = [];
  let labels: (number | null)[] | null = [];
  const sizes: { file: string; size: number }[] = [];
  let start = 0;
  for (const name of files) {
    const file = join(dir, name);
    const table = await readArrow(file);
    sizes.push({ file: name, size: (await stat(file)).size });
    const fields = table.schema.fields.map((f) => f.name);
    if (!fields.includes(imageColumn)) throw new InputError(`no column ${show(imageColumn)} (imageColumn); columns: ${fields.join(', ')}`, { file });
    const label = table.getChild(labelColumn);
    if (!label && labelRequired) throw new InputError(`no label column ${show(labelColumn)} (labelColumn)`, { file });
    if (!label) labels = null;
    else if (labels) for (let i = 0; i < table.numRows; i++) labels.push(toLabel(label.get(i)));
    if (table.numRows > 0) chunks.push({ file, start, rows: table.numRows, fileRow: 0, parquet: false });
    start += table.numRows;
  }
  return { chunks, labels, classes, sizes };
}

function checkRange(value: number | undefined, name: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new InputError(`${name} ${show(value)} is not ${min === 0 ? 'a non-negative' : 'a positive'} integer`);
  }
}

export async function openHf(config: HfSourceConfig): Promise<HfSource> {
  checkRange(config.limit, 'hf limit', 1);
  checkRange(config.offset, 'hf offset', 0);
  const imageColumn = config.imageColumn ?? 'image';
  const labelColumn = config.labelColumn ?? 'label';
  const labelRequired = config.labelColumn !== undefined;
  let listing: Listing;
  let where: string;
  let split = config.split ?? null;
  if (config.root !== undefined && config.files !== undefined) throw new InputError('hf source: give `root` or `files`, not both');
  if (config.root !== undefined) {
    let dir = config.root;
    where = dir;
    if (existsSync(join(dir, 'dataset_dict.json'))) {
      const dict = (await readJson(join(dir, 'dataset_dict.json'))) as { splits?: unknown };
      const splits = Array.isArray(dict.splits) ? dict.splits.filter((s): s is string => typeof s === 'string') : [];
      split ??= 'train';
      if (!splits.includes(split)) throw new InputError(`no split ${show(split)} in this DatasetDict (splits: ${splits.join(', ')}); set split`, { file: dir });
      dir = join(dir, split);
    }
    listing = existsSync(join(dir, 'state.json'))
      ? await listArrow(dir, imageColumn, labelColumn, labelRequired)
      : await listParquet(await expandFileList([dir], '.parquet', 'Parquet file'), imageColumn, labelColumn, labelRequired);
  } else if (config.files !== undefined && config.files.length > 0) {
    const files = await expandFileList(config.files, '.parquet', 'Parquet file');
    where = files[0];
    listing = await listParquet(files, imageColumn, labelColumn, labelRequired);
  } else throw new InputError('hf source: give `root` (a save_to_disk or Parquet directory) or `files` (Parquet files)');
  const maxFileBytes = resolveMaxFileBytes(config.maxFileBytes, where);
  const total = listing.chunks.length === 0 ? 0 : listing.chunks[listing.chunks.length - 1].start + listing.chunks[listing.chunks.length - 1].rows;
  if (total === 0) throw new InputError('no rows in the dataset', { file: where });
  const classes = config.classes ?? listing.classes;
  const problems = new Map<number, string>();
  if (listing.labels) {
    listing.labels.forEach((l, row) => {
      if (l === null) problems.set(row, `label is null or not a non-negative integer (HF writes -1 for "no label")`);
      else if (classes && l >= classes.length) problems.set(row, `label ${l} is not below the ${classes.length} classes`);
      if (problems.has(row) && listing.labels) listing.labels[row] = null;
    });
  }
  const offset = config.offset ?? 0;
  if (offset > total) throw new InputError(`hf offset ${offset} is past the ${total} rows`, { file: where });
  const size = Math.min(total - offset, config.limit ?? total);
  const prefix = split ?? 'data';
  const pad = Math.max(5, String(total - 1).length);
  const entries = Array.from({ length: size }, (_, i) => ({ id: `${prefix}/${String(offset + i).padStart(pad, '0')}`, label: listing.labels ? listing.labels[offset + i] : null, size: 0 }));
  const extra = new TextEncoder().encode(JSON.stringify({ files: listing.sizes, imageColumn, labelColumn }));
  const fingerprint = listingFingerprint('hf', classes, entries, extra);
  return new HfSource(listing.chunks, listing.labels, problems, prefix, offset, size, total, classes, fingerprint, imageColumn, maxFileBytes);
}
