/**
 * The source interface: every image source (imagefolder, idx, jsonl, webdataset, hf) is one file implementing it,
 * listed in `registry.ts`. Samples are addressed by index into the list sorted by id, so any run
 * (and any worker i of N) over the same source sees the same order.
 */

/** Decoded pixels, interleaved (row, col, channel). */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

/** What a source hands to patchify: encoded bytes (decoded by sharp) or raw pixels (IDX). */
export type ImagePayload =
  | { kind: 'encoded'; file: string; bytes: Uint8Array }
  | { kind: 'raw'; file: string; image: RawImage };

export interface SampleRef {
  /** Stable, unique string key; the sort key of the source. */
  id: string;
  /** Class index, or null where the source has no label. */
  label: number | null;
  /** A human-readable location for errors: a path, or `file#index`. */
  location: string;
}

export interface Source {
  readonly kind: string;
  /** Class names (index = label) where known, else null. */
  readonly classes: readonly string[] | null;
  /** Stable fingerprint of the source's identity and contents listing. */
  readonly fingerprint: string;
  readonly size: number;
  /** The i-th sample in sorted-id order. */
  ref(index: number): SampleRef;
  /** Reads the i-th sample's image. Throws ImageError/IoError naming the file. */
  load(index: number): Promise<ImagePayload>;
}

export interface ImageFolderSourceConfig {
  kind: 'imagefolder';
  root: string;
  /** File extensions to include (lower case, with dot). Default: common image types. */
  extensions?: string[];
  /** Largest image file read, in bytes (default 64 MiB); a larger one is a failed sample. */
  maxFileBytes?: number;
  /** Accept class folders without images (default false: an error naming them, as torchvision). */
  allowEmptyClasses?: boolean;
  /**
   * Accept class folders that are all named as dataset splits (train, val, valid, validation, test)
   * and hold folders of their own (default false: an error, since the root is likely one level too high).
   */
  allowSplitDirectories?: boolean;
}

export interface IdxSourceConfig {
  kind: 'idx';
  /** Directory with `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`, or explicit files. */
  dir?: string;
  images?: string;
  labels?: string;
  split: 'train' | 'test';
  /** Use only the first `limit` samples of the split (in file order, from `offset`) — for quick runs. */
  limit?: number;
  /** Skip the file's first `offset` images (default 0): with `limit`, a contiguous range, e.g. a validation split carved from the training file. Ids keep the file index. */
  offset?: number;
  /** Optional class names (index = label), e.g. Fashion-MNIST's ten; labels must be below its length. */
  classes?: string[];
}

export interface JsonlSourceConfig {
  kind: 'jsonl';
  /** A file of `{"path": …, "label": …}` lines; relative paths resolve against its directory. */
  file: string;
  /** Optional class names for labels given as strings. */
  classes?: string[];
  /** Largest image file read, in bytes (default 64 MiB); a larger one is a failed sample. */
  maxFileBytes?: number;
}

export interface WebDatasetSourceConfig {
  kind: 'webdataset';
  /** `.tar` shards: paths, directories, globs (`shards/*.tar`), brace ranges (`shard-{000000..000009}.tar`), http(s) URLs. */
  shards: string[];
  /** Optional class names (index = label); a label not below its length is a failed sample. */
  classes?: string[];
  /** Largest image member read, in bytes (default 64 MiB); a larger one is a failed sample. */
  maxFileBytes?: number;
  /** Use only `limit` samples (in sorted-id order, from `offset`). */
  limit?: number;
  /** Skip the first `offset` samples in sorted-id order (default 0). Ids are unchanged. */
  offset?: number;
}

export interface HfSourceConfig {
  kind: 'hf';
  /** A `save_to_disk` directory (a DatasetDict's too, with `split`) or a directory of Parquet files. */
  root?: string;
  /** Parquet files: paths, directories, globs, brace ranges (instead of `root`). */
  files?: string[];
  /** A DatasetDict's split (default `train`); also the ids' prefix (default `data`). */
  split?: string;
  /** The image column: HF `Image` {bytes, path} or binary (default `image`). */
  imageColumn?: string;
  /** The integer label column (default `label`; absent: unlabelled, unless named here). */
  labelColumn?: string;
  /** Class names (index = label); default: the ClassLabel names the dataset states. */
  classes?: string[];
  /** Largest image read, in bytes (default 64 MiB); a larger one is a failed sample. */
  maxFileBytes?: number;
  /** Use only `limit` rows (from `offset`). */
  limit?: number;
  /** Skip the first `offset` rows (default 0); ids keep the row number. */
  offset?: number;
}

export type SourceConfig = ImageFolderSourceConfig | IdxSourceConfig | JsonlSourceConfig | WebDatasetSourceConfig | HfSourceConfig;
