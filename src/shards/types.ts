/**
 * Types of the shard contract (see schemas/README.md for the normative specification).
 * A dataset is a directory: manifest.json + shard-00000.arrow, … (Arrow IPC stream, uncompressed
 * or with Arrow's body compression, LZ4_FRAME or ZSTD, as `meta.compression` says).
 */

export const FORMAT_NAME = 'dlth' as const;
export const FORMAT_VERSION = 1 as const;
/** Schema-metadata key holding the JSON metadata. */
export const METADATA_KEY = 'dlth' as const;

export const DatasetKind = {
  /** Ticket datasets: k kept patches per row (policies ticket, random, full). */
  Tickets: 'tickets',
  /** Score datasets: per-patch scores and a full rank per row, no pixels. */
  Scores: 'scores',
} as const;
export type DatasetKind = (typeof DatasetKind)[keyof typeof DatasetKind];

export const Policy = { Full: 'full', Random: 'random', Ticket: 'ticket', Saliency: 'saliency', Prior: 'prior', Oracle: 'oracle' } as const;
export type Policy = (typeof Policy)[keyof typeof Policy];

/** Record-batch body compression (Arrow IPC BodyCompression); `none` is stored as an absent `meta.compression`. */
export const Compression = { None: 'none', Lz4: 'lz4', Zstd: 'zstd' } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];
/** A codec a dataset can record in `meta.compression`. */
export type Codec = Exclude<Compression, 'none'>;

export interface SelectorInfo {
  /** Fingerprint of the selector checkpoint (sha256 of the weights file). */
  fingerprint: string;
  model: string;
  /** Scoring mode (evit, cls-attn, …) and its parameters. */
  mode: string;
  params: Record<string, number | string | number[] | boolean>;
  /** How the scored images were resized, cropped and resampled (the same as the meta's `preprocessing`); absent in older datasets. */
  preprocessing?: AppliedPreprocessing;
}

/**
 * How a dataset's images were decoded, resized, cropped and resampled before patchify (mean/std
 * are the meta's own fields). `from`: a selector checkpoint's own preprocessing (hf-processor,
 * timm-pretrained-cfg, model-config), or `default`: the pipeline's or CLI's settings.
 */
export interface AppliedPreprocessing {
  from: 'hf-processor' | 'timm-pretrained-cfg' | 'model-config' | 'default';
  resize: 'deit' | 'shorter' | 'none' | 'fixed';
  resizeTo?: [number, number];
  shortestEdge?: number;
  cropPct: number;
  cropRounding?: 'round' | 'floor';
  /** Decoded as PIL does: embedded ICC profiles ignored, no JPEG shrink-on-load. */
  pilParity?: boolean;
  interpolation: string;
}

export interface SourceInfo {
  kind: string;
  fingerprint: string;
  split?: string;
  classes: string[] | null;
}

/** The JSON stored under the `dlth` schema-metadata key of every shard. */
export interface DatasetMeta {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  kind: DatasetKind;
  imageSize: [number, number];
  patchSize: number;
  grid: [number, number];
  channels: number;
  mean: number[];
  std: number[];
  /** Number of patches per row (tickets), or the full grid size N (scores). */
  k: number;
  /** Kept fraction k / N. */
  keep: number;
  policy: Policy | null;
  /** How k was derived, e.g. "explicit", "fraction", "evit-rate". */
  kDerivation?: string;
  seed: number | null;
  selector: SelectorInfo | null;
  source: SourceInfo;
  numClasses: number | null;
  /**
   * Every dataset: how its images were decoded, resized, cropped and resampled (with mean/std, the
   * whole preprocessing of its pixels). Readers refuse to mix datasets whose preprocessing differs
   * (src/shards/preprocessing.ts). Absent in datasets written before it was recorded.
   */
  preprocessing?: AppliedPreprocessing;
  /**
   * Score datasets: `sha256` when every row carries `content`, the sha256 of the pixels the selector
   * saw (the patch grid after decode, resize and crop), so a lab can rebuild tickets from its own
   * copy of the images and check each one. Absent in older datasets (no content column).
   */
  contentHash?: 'sha256';
  /**
   * Score datasets of mode evit run at several keep rates in one pass: the rates of the chains the
   * dataset stores (at least two, distinct, each in (0, 1]). `scores`/`rank` hold the chain of
   * `rates[0]`, columns `scores_r<r>`/`rank_r<r>` each further rate's (schema.ts `chainColumns`).
   * Absent: one chain (`selector.params.rate`).
   */
  rates?: number[];
  /**
   * Ticket datasets built from EViT scores: the chain the ticket came from, its survivor count, and
   * whether the ticket is that chain's survivors (k = survivors) or a prefix of its rank, which is
   * only made when asked for (`rankPrefix`): a prefix is not the ticket an EViT at any rate picks.
   */
  evitTicket?: EvitTicket;
  /** Ticket datasets of policies that read object masks (prior, oracle): which masks, and how. */
  policyParams?: PolicyParams;
  /**
   * Every record batch of every shard is compressed with this codec (Arrow IPC body compression,
   * method BUFFER). Absent: uncompressed.
   */
  compression?: Codec;
  /**
   * K views of each image (`dlth score --views K`): K rows per image, in view order, with a `view`
   * column (score rows also hold each view's crop box and flip). View 0 is the plain view (the
   * dataset's preprocessing, as without views); views 1…K−1 are seeded random-resized crops with
   * horizontal flips (docs/augment.md, "Views"). Absent: one plain view per image, no view column.
   */
  views?: ViewsMeta;
  /**
   * Ticket datasets: how the `patches` column stores each row's kept patches. Absent: raw bytes
   * (a fixed-size list of k · p·p·C uint8). `jpeg`: one baseline JPEG per row (a binary column),
   * laid out so that no JPEG block crosses a patch border (src/shards/patch-jpeg.ts).
   */
  patchEncoding?: PatchEncoding;
}

/** How a dataset's K views were drawn: timm's RandomResizedCrop (scale, ratio) and a flip probability, from `seed`. */
export interface ViewsMeta {
  /** K ≥ 2 rows per image: view 0 plain, views 1…K−1 random. */
  count: number;
  /** Crop area as a fraction of the source image's, [min, max] within (0, 1]. */
  scale: [number, number];
  /** Crop aspect ratio (width / height), [min, max], drawn log-uniform. */
  ratio: [number, number];
  /** Probability that a random view is flipped horizontally. */
  flip: number;
  seed: number;
}

/**
 * One view of a score row: its index and how it was cut from the decoded (oriented, full-size)
 * source image: `box` [left, top, width, height] in source pixels ([0, 0, 0, 0] for the plain view 0),
 * resized to the image size, then mirrored when `flip`.
 */
export interface RowView {
  index: number;
  box: [number, number, number, number];
  flip: boolean;
}

/** A lossy encoding of a ticket row's patches (schemas/README.md §3.1b). */
export interface PatchEncoding {
  codec: 'jpeg';
  /** libjpeg quality, 1–100. */
  quality: number;
  /** Chroma subsampling: none (every component at full resolution). */
  subsampling: '4:4:4';
  /** Side of each patch's cell in the row's image: the patch size rounded up to a multiple of 8. */
  cell: number;
  /** Cells per line of the row's image (⌈√k⌉). */
  columns: number;
}

/** A mask file as metadata records it: its name (not its directory), count, [H, W] and sha256. */
export interface MaskRecord {
  file: string;
  count: number;
  size: [number, number];
  sha256: string;
}

/**
 * prior: `masks` (the positions most often object in `masks`) or `centre` (nearest the grid's
 * centre); oracle: each image's own mask. `objectAt`: the cover from which a patch is object.
 */
export interface PolicyParams {
  prior?: 'masks' | 'centre';
  masks?: MaskRecord;
  objectAt?: number;
}

export interface EvitTicket {
  rate: number;
  survivors: number;
  taken: 'survivors' | 'rank-prefix';
}

/** One row of a ticket dataset, as typed arrays. */
export interface TicketRow {
  id: string;
  label: number | null;
  /** k · p · p · C bytes: kept patches in ascending position order. */
  patches: Uint8Array;
  /** k ascending raster indices `row · G_w + col`. */
  positions: Uint16Array;
  /** k selector scores aligned with positions (NaN where the policy has none). */
  scores: Float32Array;
  /** The row's view index (datasets with meta.views only). */
  view?: number;
  /**
   * Datasets with meta.patchEncoding: the row's stored JPEG, exactly as read. A writer of the same
   * encoding stores it as is (merging parts re-encodes nothing); `patches` holds it decoded.
   */
  encoded?: Uint8Array;
}

/** One row of a score dataset. */
export interface ScoreRow {
  id: string;
  label: number | null;
  /** N scores in raster order. */
  scores: Float32Array;
  /** N raster indices: the order in which patches would be kept (best first). */
  rank: Uint16Array;
  /** 32 bytes: sha256 of the scored patch grid (datasets with meta.contentHash). */
  content?: Uint8Array;
  /** Multi-rate datasets (meta.rates): the chains of rates[1], rates[2], … (`scores`/`rank` hold rates[0]'s). */
  chains?: ScoreChain[];
  /** The row's view and its crop (datasets with meta.views only). */
  view?: RowView;
}

/** One EViT chain's columns of a score row. */
export interface ScoreChain {
  scores: Float32Array;
  rank: Uint16Array;
}

export interface ManifestShard {
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  kind: DatasetKind;
  /** sha256 over the shard hashes and metadata. */
  fingerprint: string;
  rows: number;
  /** R: slots per shard (shard j holds the rows of slots [j·R, (j+1)·R)); informational, for resume. */
  rowsPerShard?: number;
  meta: DatasetMeta;
  shards: ManifestShard[];
}
