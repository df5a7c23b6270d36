/**
 * Loader batches and their buffers. A batch is a set of typed arrays (views of the first `size`
 * rows of pooled buffers). Lifetime: a batch's arrays stay valid until the consumer asks for the
 * next batch (the loader then reuses the buffers of the batch before). Copy what must outlive that
 * (e.g. `tf.tensor(batch.patches)` copies). Fresh buffers per batch would be 30–50× slower: fresh
 * memory costs a page fault per 4 KiB on first touch, reused memory is only copied into.
 */
import type { FlipGeometry } from './augment/flip.js';
import { createRowFlipper, type RowFlipper } from './augment/flipper.js';
import type { LoaderState } from './state.js';

export interface Batch {
  /** Rows in this batch (the last batch of an epoch may be smaller than the batch size). */
  size: number;
  /** [size · k · p · p · C] uint8, each row's k patches in ascending position order. */
  patches: Uint8Array;
  /** [size · k] raster indices row · G_w + col, ascending within each row. */
  positions: Uint16Array;
  /** [size · k] selector scores, aligned with positions. */
  scores: Float32Array;
  /** [size] class labels; −1 where the dataset has none. */
  labels: Int32Array;
  /** [size] sample ids. */
  ids: string[];
  /** [size] global sample indices (datasets concatenated, shards in manifest order; an image with all its views is one sample). */
  indices: Uint32Array;
  /** [size] 1 where the sample was horizontally flipped. */
  flipped: Uint8Array;
  /** [size] the view each row is (datasets with views: src/views/pick.ts; else all 0). */
  views: Uint8Array;
  /**
   * [size · numClasses] float32 soft targets when the loader mixes (mixup/cutmix, augment/mix.ts),
   * else null: train on these instead of `labels` (timm's SoftTargetCrossEntropy).
   */
  targets: Float32Array | null;
  epoch: number;
  /** Batch number within this rank's epoch. */
  index: number;
  /** The state after this batch: pass it as `resume` to continue with the next one. */
  state: LoaderState;
}

export class BatchBuffers {
  readonly patches: Uint8Array;
  readonly positions: Uint16Array;
  readonly scores: Float32Array;
  readonly labels: Int32Array;
  readonly indices: Uint32Array;
  readonly flipped: Uint8Array;
  readonly views: Uint8Array;
  /** Writes flipped rows into `patches` (which it owns); null when the loader does not flip. */
  readonly flipper: RowFlipper | null;
  /** Soft targets and the pre-mixing copy of the patches, when the loader mixes (else empty). */
  readonly targets: Float32Array;
  readonly mixScratch: Uint8Array;

  constructor(readonly capacity: number, readonly rowPatchBytes: number, readonly k: number, flip: FlipGeometry | null = null, mixClasses = 0) {
    this.targets = new Float32Array(mixClasses > 0 ? capacity * mixClasses : 0);
    this.mixScratch = new Uint8Array(mixClasses > 0 ? capacity * rowPatchBytes : 0);
    this.flipper = flip ? createRowFlipper(flip, k, capacity) : null;
    this.patches = this.flipper?.patches ?? new Uint8Array(capacity * rowPatchBytes);
    this.positions = new Uint16Array(capacity * k);
    this.scores = new Float32Array(capacity * k);
    this.labels = new Int32Array(capacity);
    this.indices = new Uint32Array(capacity);
    this.flipped = new Uint8Array(capacity);
    this.views = new Uint8Array(capacity);
  }

  /** Views of the first `size` rows. */
  view(size: number): Pick<Batch, 'patches' | 'positions' | 'scores' | 'labels' | 'indices' | 'flipped' | 'views'> {
    return {
      patches: this.patches.subarray(0, size * this.rowPatchBytes),
      positions: this.positions.subarray(0, size * this.k),
      scores: this.scores.subarray(0, size * this.k),
      labels: this.labels.subarray(0, size),
      indices: this.indices.subarray(0, size),
      flipped: this.flipped.subarray(0, size),
      views: this.views.subarray(0, size),
    };
  }
}
