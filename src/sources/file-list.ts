/**
 * A source over a sorted list of image files with labels: what `imagefolder` and `jsonl` produce
 * once they have listed their files. Fingerprint over kind, classes, ids, labels and file sizes.
 */
import type { ImagePayload, SampleRef, Source } from './types.js';
import { checkIndex, DEFAULT_MAX_FILE_BYTES, fileSizes, listingFingerprint, readSampleFile } from './common.js';

export interface FileSample {
  id: string;
  label: number;
  /** Absolute path of the image file. */
  path: string;
}

export class FileListSource implements Source {
  private constructor(
    readonly kind: string,
    readonly classes: readonly string[] | null,
    private readonly samples: readonly FileSample[],
    readonly fingerprint: string,
    private readonly maxFileBytes: number,
  ) {}

  /**
   * `samples` must be sorted by id (compareIds) and unique. `maxFileBytes` bounds each sample read
   * (default DEFAULT_MAX_FILE_BYTES); the fingerprint does not depend on it.
   */
  static async create(kind: string, classes: readonly string[] | null, samples: readonly FileSample[], maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<FileListSource> {
    const sizes = await fileSizes(samples.map((s) => s.path));
    const fp = listingFingerprint(kind, classes, samples.map((s, i) => ({ id: s.id, label: s.label, size: sizes[i] })));
    return new FileListSource(kind, classes, samples, fp, maxFileBytes);
  }

  get size(): number {
    return this.samples.length;
  }

  ref(index: number): SampleRef {
    checkIndex(index, this.samples.length, this.kind);
    const s = this.samples[index];
    return { id: s.id, label: s.label, location: s.path };
  }

  async load(index: number): Promise<ImagePayload> {
    checkIndex(index, this.samples.length, this.kind);
    const { path } = this.samples[index];
    return { kind: 'encoded', file: path, bytes: await readSampleFile(path, this.maxFileBytes) };
  }
}
