/**
 * `idx`: MNIST / Fashion-MNIST IDX files, gzip or raw, split `train` (`train-*`) or `test`
 * (`t10k-*`), from a directory or explicit paths. All images of the split are loaded into one
 * buffer at open (60 000 × 28 × 28 is 47 MB); load() hands out views of it, never copies. Ids are
 * `<split>/<index>` zero-padded, so sorted id order is file order. `offset` and `limit` take a
 * contiguous range of the file (a validation split carved from the training file: `offset` 54000);
 * ids and locations keep the image's index in the file, so masks and other per-image files match.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import type { IdxSourceConfig, ImagePayload, SampleRef, Source } from './types.js';
import { checkIndex, listingFingerprint } from './common.js';
import { readIdx, type IdxArray } from './idx_format.js';

/** Candidate file names in a directory for one split and part (Yann LeCun's and the dotted variant). */
function candidates(dir: string, prefix: string, part: 'images-idx3' | 'labels-idx1'): string[] {
  const dotted = part.replace('-', '.');
  return [`${prefix}-${part}-ubyte.gz`, `${prefix}-${part}-ubyte`, `${prefix}-${dotted}-ubyte.gz`, `${prefix}-${dotted}-ubyte`].map(
    (n) => join(dir, n),
  );
}

function findIn(dir: string, prefix: string, part: 'images-idx3' | 'labels-idx1'): string {
  const names = candidates(dir, prefix, part);
  const hit = names.find((f) => existsSync(f));
  if (!hit) {
    throw new InputError(
      `no ${part.split('-')[0]} file for split ${prefix === 't10k' ? 'test' : 'train'}: tried ${names.map((n) => n.slice(dir.length + 1)).join(', ')}` +
        ' (Fashion-MNIST: apt-get install dataset-fashion-mnist → /usr/share/datasets/fashion-mnist)',
      { file: dir },
    );
  }
  return hit;
}

function resolveFiles(config: IdxSourceConfig): { images: string; labels: string | null } {
  if (config.images) return { images: config.images, labels: config.labels ?? null };
  if (!config.dir) throw new InputError('idx source: give `dir` or `images` (and `labels`)');
  const prefix = config.split === 'test' ? 't10k' : 'train';
  return { images: findIn(config.dir, prefix, 'images-idx3'), labels: config.labels ?? findIn(config.dir, prefix, 'labels-idx1') };
}

export class IdxSource implements Source {
  readonly kind = 'idx';
  readonly size: number;
  private readonly pixels: number;
  private readonly pad: number;

  constructor(
    private readonly images: IdxArray,
    private readonly labels: Uint8Array | null,
    private readonly split: string,
    count: number,
    readonly classes: readonly string[] | null,
    /** Index in the file of this source's sample 0. */
    readonly offset = 0,
  ) {
    this.size = count;
    this.pixels = images.dims[1] * images.dims[2];
    this.pad = Math.max(5, String(Math.max(0, images.dims[0] - 1)).length);
    this.fingerprint = this.computeFingerprint();
  }

  readonly fingerprint: string;

  /** The pixels are in memory already, so unlike file-based sources the fingerprint covers them. */
  private computeFingerprint(): string {
    const entries = function* (this: IdxSource) {
      for (let i = 0; i < this.size; i++) yield { ...this.ref(i), size: this.pixels };
    };
    const start = this.offset * this.pixels;
    return listingFingerprint('idx', this.classes, entries.call(this), this.images.data.subarray(start, start + this.size * this.pixels));
  }

  /** Images in the file: `size` is a range of them when the source has an `offset` or a `limit`. */
  get total(): number {
    return this.images.dims[0];
  }

  /** The index in the file of sample `index` (what per-image files such as masks are indexed by). */
  fileIndex(index: number): number {
    checkIndex(index, this.size, this.kind);
    return this.offset + index;
  }

  ref(index: number): SampleRef {
    checkIndex(index, this.size, this.kind);
    const at = this.offset + index;
    return {
      id: `${this.split}/${String(at).padStart(this.pad, '0')}`,
      label: this.labels ? this.labels[index] : null,
      location: `${this.images.file}#${at}`,
    };
  }

  async load(index: number): Promise<ImagePayload> {
    checkIndex(index, this.size, this.kind);
    const [, height, width] = this.images.dims;
    const at = this.offset + index;
    const start = at * this.pixels;
    const data = this.images.data.subarray(start, start + this.pixels);
    return { kind: 'raw', file: `${this.images.file}#${at}`, image: { width, height, channels: 1, data } };
  }
}

export async function openIdx(config: IdxSourceConfig): Promise<IdxSource> {
  const files = resolveFiles(config);
  const [images, labels] = await Promise.all([readIdx(files.images, 3), files.labels ? readIdx(files.labels, 1) : null]);
  const [n, rows, cols] = images.dims;
  if (rows === 0 || cols === 0) throw new InputError(`IDX images are ${rows}×${cols}`, { file: images.file });
  if (labels && labels.dims[0] !== n) {
    throw new InputError(`${labels.dims[0]} labels for ${n} images in ${images.file}`, { file: labels.file });
  }
  const limit = config.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new InputError(`idx limit ${limit} is not a non-negative integer`);
  const offset = config.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new InputError(`idx offset ${offset} is not a non-negative integer`);
  if (offset > n) throw new InputError(`idx offset ${offset} is past the ${n} images of the file`, { file: images.file });
  const count = Math.min(n - offset, limit ?? n);
  const own = labels ? labels.data.subarray(offset, offset + count) : null;
  const classes = config.classes ?? null;
  if (own && classes) {
    const bad = own.findIndex((l) => l >= classes.length);
    if (bad >= 0) throw new InputError(`label ${own[bad]} of sample ${offset + bad} ≥ ${classes.length} classes`, { file: labels?.file ?? images.file });
  }
  const split = config.split === 'test' ? 'test' : 'train';
  return new IdxSource(images, own, split, count, classes, offset);
}
