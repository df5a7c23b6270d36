/**
 * The streaming loader over one or more ticket datasets (local directories or http(s) URLs).
 * Per epoch: the shuffle gives an order of all samples, the partition gives this rank its slice,
 * and `batches()` streams that slice as pooled typed-array batches. Shard buffers and batch
 * buffers are reused across epochs.
 */
import { InputError } from '../util/errors.js';
import { patchBytes } from '../shards/schema.js';
import type { DatasetStore } from '../shards/store.js';
import { flipGeometry } from './augment/flip.js';
import { checkAugmentable } from './augment/tokens.js';
import { BatchBuffers, type Batch } from './batch.js';
import { resolveOptions, Verify, type LoaderOptions, type ResolvedOptions } from './options.js';
import { partition, rankSequence } from './partition.js';
import { ShardSlot } from './resident.js';
import { runEpoch } from './run.js';
import { getShuffle } from './shuffle/index.js';
import { openSources, type ShardRef, type Sources } from './sources.js';
import { checkStateMatches, makeState, type LoaderState, type OrderKey } from './state.js';
import { HttpStore } from './store/http.js';
import { checkViewIndex } from '../views/pick.js';

export class TicketLoader {
  private readonly freeSlots: ShardSlot[] = [];
  private readonly freeBatches: BatchBuffers[] = [];
  private readonly verifiedShards = new Set<ShardRef>();

  private constructor(readonly sources: Sources, readonly options: ResolvedOptions) {}

  /** Opens the datasets (manifests validated, geometry checked) with the given options. */
  static async open(locations: ReadonlyArray<string | DatasetStore>, options: LoaderOptions = {}): Promise<TicketLoader> {
    const resolved = resolveOptions(options);
    const sources = await openSources(locations, resolved.http, resolved.allowMixedPreprocessing);
    checkAugmentable(resolved.augment, sources.meta, sources.datasets[0].store.location);
    checkViewIndex(resolved.viewIndex, sources.views, 'view index', sources.datasets[0].store.location);
    if (resolved.subset !== undefined && resolved.subset > sources.meta.k) {
      throw new InputError(`subset ${resolved.subset} exceeds the ${sources.meta.k} patches stored per row`, { file: sources.datasets[0].store.location });
    }
    return new TicketLoader(sources, resolved);
  }

  /** Patches per yielded row: the subset size when drawing subsets, else the stored k. */
  get k(): number {
    return this.options.subset ?? this.sources.meta.k;
  }

  get meta(): Sources['meta'] {
    return this.sources.meta;
  }

  /** Samples of all datasets together (rows; with K views, rows / K: an image is one sample). */
  get rows(): number {
    return this.sources.rows;
  }

  /** What the order depends on; saved in every state. */
  get key(): OrderKey {
    const o = this.options;
    return {
      datasets: this.sources.datasets.map((d) => d.manifest.fingerprint),
      seed: o.seed,
      rank: o.rank,
      world: o.world,
      shuffle: o.shuffle,
      block: o.block,
      partition: o.partition,
    };
  }

  /** The state at the start of `epoch`. */
  initialState(epoch = 0): LoaderState {
    return makeState(this.key, epoch, 0);
  }

  /** This rank's sample sequence for `epoch` (global sample indices, in yield order). */
  sequence(epoch: number): Uint32Array {
    const o = this.options;
    const order = getShuffle(o.shuffle)(this.sources.shardSamples, o.seed, epoch, { block: o.block });
    let seq = rankSequence(order, partition(o.partition, this.sources.rows, o.world, o.rank));
    if (o.limit !== undefined && o.limit < seq.length) seq = seq.subarray(0, o.limit);
    if (o.dropLastBatch) seq = seq.subarray(0, seq.length - (seq.length % o.batchSize));
    return seq;
  }

  /** Samples this rank yields per epoch (the same every epoch). */
  samplesPerEpoch(): number {
    return this.sequence(0).length;
  }

  batchesPerEpoch(): number {
    return Math.ceil(this.samplesPerEpoch() / this.options.batchSize);
  }

  /**
   * The batches of `epoch` for this rank; from `resume` (a state saved from a batch of the same
   * epoch) on, only the remaining batches, without reading shards whose samples were all consumed.
   * A batch's arrays are valid until the next batch is requested (see batch.ts).
   */
  batches(epoch = 0, resume?: LoaderState): AsyncGenerator<Batch> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new InputError(`epoch must be a non-negative integer, got ${epoch}`);
    const seq = this.sequence(epoch);
    let from = 0;
    if (resume) {
      checkStateMatches(resume, this.key);
      if (resume.epoch !== epoch) throw new InputError(`cannot resume epoch ${epoch} from a state of epoch ${resume.epoch}`);
      if (resume.consumed > seq.length) throw new InputError(`cannot resume: the state has consumed ${resume.consumed} samples of an epoch of ${seq.length}`);
      from = resume.consumed;
    }
    const { meta, maxShardRows } = this.sources;
    const maxShardBytes = Math.max(0, ...this.sources.shards.map((s) => ShardSlot.arenaBytes(this.sources.datasets[s.dataset].meta, s.entry)));
    const flip = this.options.flip ? flipGeometry(meta) : null;
    return runEpoch({
      sources: this.sources,
      options: this.options,
      key: this.key,
      epoch,
      seq,
      from,
      newSlot: () => this.freeSlots.pop() ?? ShardSlot.forMeta(meta, maxShardRows, maxShardBytes),
      takeSlots: (n, wanted) => {
        this.freeSlots.sort((a, b) => Number(wanted(a)) - Number(wanted(b)));
        return this.freeSlots.splice(Math.max(0, this.freeSlots.length - n));
      },
      slotBytes: ShardSlot.bytes(maxShardBytes, maxShardRows),
      newBatch: () => this.freeBatches.pop() ?? new BatchBuffers(this.options.batchSize, this.k * patchBytes(meta), this.k, flip, this.options.augment.mix ? (meta.numClasses ?? 0) : 0),
      recycle: (slots, batches) => {
        this.freeSlots.push(...slots);
        this.freeBatches.push(...batches);
      },
      verifyHash: (ref) => this.mustHash(ref),
      verified: (ref) => this.verifiedShards.add(ref),
    });
  }

  private mustHash(ref: ShardRef): boolean {
    if (this.options.verify === Verify.Always) return true;
    if (this.sources.datasets[ref.dataset].store instanceof HttpStore) return true;
    return !this.verifiedShards.has(ref);
  }
}
