/**
 * One epoch of one rank, from a resume position: two cooperating tasks and the consumer.
 * - the shard reader reads shards in order of first use into slots (at most the plan's peak plus
 *   `prefetchShards`; two at once when two slots are free), each fully verified before it is marked
 *   ready; a free slot that still holds the shard from an earlier read is used as it is, unless the
 *   shard's sha256 must be checked again;
 * - the batch producer fills pooled batch buffers from ready slots (flipping samples when asked),
 *   releases each slot after its last use, and queues at most `prefetch` batches;
 * - the consumer (this generator) yields queued batches; a batch's buffers return to the pool when
 *   the consumer asks for the next one.
 * Breaking out of the loop stops both tasks, closes the open shard and returns every buffer.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { InputError, ShardError, show } from '../util/errors.js';
import { pickView } from '../views/pick.js';
import { shouldFlip } from './augment/flip.js';
import { Content, fillMean, meanPixel } from './augment/content.js';
import { anyAugment, augmentPlan, augmentRows, mixRows, type AugmentPlan } from './augment/tokens.js';
import type { Batch, BatchBuffers } from './batch.js';
import { Channel, Pool } from './channel.js';
import type { ResolvedOptions } from './options.js';
import { rowWriter, writeRows, type RowWriter } from './gather.js';
import { readPlan, type ReadPlan } from './plan.js';
import { loadShard, type ShardSlot } from './resident.js';
import type { ShardRef, Sources } from './sources.js';
import { makeState, type OrderKey } from './state.js';

export interface EpochContext {
  sources: Sources;
  options: ResolvedOptions;
  key: OrderKey;
  epoch: number;
  /** This rank's sample sequence for the epoch; batches start at `from`. */
  seq: Uint32Array;
  from: number;
  newSlot: () => ShardSlot;
  /** Up to `n` of the loader's idle slots, those holding a shard that `wanted` first. */
  takeSlots: (n: number, wanted: (slot: ShardSlot) => boolean) => ShardSlot[];
  /** Bytes of one shard slot. */
  slotBytes: number;
  newBatch: () => BatchBuffers;
  /** Gives the run's slots and batch buffers back when it ends. */
  recycle: (slots: readonly ShardSlot[], batches: readonly BatchBuffers[]) => void;
  verifyHash: (ref: ShardRef) => boolean;
  verified: (ref: ShardRef) => void;
}

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  const d = {} as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => Object.assign(d, { resolve, reject }));
  d.promise.catch(() => undefined); // awaited by the producer; never an unhandled rejection
  return d;
}

interface Queued {
  batch: Batch;
  buffers: BatchBuffers;
}

interface Shared {
  ctx: EpochContext;
  plan: ReadPlan;
  slots: Pool<ShardSlot>;
  batches: Pool<BatchBuffers>;
  ready: Array<Deferred<ShardSlot>>;
  channel: Channel<Queued>;
  stopped: () => boolean;
  /** Shards being read (their reads wait for turns of the event loop). */
  reads: number;
}

/**
 * Patch bytes the producer writes between turns of the event loop while a shard is being read:
 * each of the reader's reads continues only on a free turn, so a whole batch written in one go
 * (4.8 MB at 224/16, k = 98) would hold up its next read by that long.
 */
const WRITE_BYTES_PER_TURN = 512 * 1024;

export async function* runEpoch(ctx: EpochContext): AsyncGenerator<Batch> {
  const { options } = ctx;
  const plan = readPlan(ctx.seq, ctx.from, ctx.sources.offsets, options.batchSize);
  const slots = Math.max(1, plan.maxResident + options.prefetchShards);
  if (slots * ctx.slotBytes > options.shardMemory) {
    const need = `${plan.maxResident} shards at once (+${options.prefetchShards} read ahead) of up to ${mib(ctx.slotBytes)}`;
    throw new InputError(
      `shuffle ${options.shuffle} with block ${options.block} needs ${need}, more than shardMemory = ${mib(options.shardMemory)}; use a smaller block or more memory`,
    );
  }
  let stop = false;
  const needed = new Set(plan.visits.map((v) => ctx.sources.shards[v.shard]));
  const s: Shared = {
    ctx,
    plan,
    slots: new Pool(ctx.newSlot, slots, ctx.takeSlots(slots, (slot) => slot.holds !== null && needed.has(slot.holds))),
    batches: new Pool(ctx.newBatch, options.prefetch + 1),
    ready: plan.visits.map(() => deferred<ShardSlot>()),
    channel: new Channel<Queued>(options.prefetch),
    stopped: () => stop,
    reads: 0,
  };
  const tasks = Promise.allSettled([readShards(s), produce(s)]);
  try {
    for (;;) {
      const item = await s.channel.pop();
      if (!item) break;
      yield item.batch;
      s.batches.release(item.buffers);
    }
  } finally {
    stop = true;
    s.channel.close();
    s.slots.stop();
    s.batches.stop();
    await tasks;
    ctx.recycle(s.slots.items(), s.batches.items());
  }
}

/** Shards read at once (each into its own free slot): two reads copy from the page cache on two cores. */
const READS_AT_ONCE = 2;

async function readShards(s: Shared): Promise<void> {
  const { sources } = s.ctx;
  const visitOf = new Map(s.plan.visits.map((visit, i) => [sources.shards[visit.shard], i]));
  const inFlight = new Set<Promise<void>>();
  let failed = false;
  for (let v = 0; v < s.plan.visits.length; v++) {
    while (inFlight.size >= READS_AT_ONCE) await Promise.race(inFlight);
    if (failed) break;
    const ref = sources.shards[s.plan.visits[v].shard];
    // Best: the slot holding this shard; then one holding nothing this epoch still needs.
    const slot = await s.slots.acquire((x) => (x.holds === ref ? 2 : x.holds === null || (visitOf.get(x.holds) ?? -1) < v ? 1 : 0));
    if (!slot || s.stopped() || failed) break;
    const visit = v;
    const job = fillSlot(s, ref, slot).then(
      (done) => {
        if (done) s.ready[visit].resolve(slot);
      },
      (err: unknown) => {
        failed = true;
        s.ready[visit].reject(err);
      },
    );
    inFlight.add(job);
    void job.then(() => inFlight.delete(job));
  }
  await Promise.all(inFlight);
}

/** Makes `slot` hold shard `ref`, read and checked (unless it holds it already and need not be hashed again); false once stopped. */
async function fillSlot(s: Shared, ref: ShardRef, slot: ShardSlot): Promise<boolean> {
  const hash = s.ctx.verifyHash(ref);
  if (!hash && slot.holds === ref) return true;
  s.reads++;
  try {
    await loadShard(s.ctx.sources, ref, slot, hash, s.stopped);
  } finally {
    s.reads--;
  }
  if (s.stopped()) return false;
  if (hash) s.ctx.verified(ref);
  return true;
}

async function produce(s: Shared): Promise<void> {
  try {
    await fillBatches(s);
    s.channel.close();
  } catch (err) {
    s.channel.fail(err);
  }
}

function releaseSchedule(plan: ReadPlan, from: number, batch: number): number[][] {
  const out: number[][] = Array.from({ length: Math.ceil(plan.shardOf.length / batch) }, () => []);
  plan.visits.forEach((v, i) => out[Math.floor((v.last - from) / batch)].push(i));
  return out;
}

/** Rows augmented between turns of the event loop while a shard is being read (jitter costs about 0.7 ms a row at 224/16). */
const AUGMENT_ROWS_PER_TURN = 4;

/** The token augmentations of a filled batch, yielding to pending reads every few rows; the soft targets or null. */
async function augmentInTurns(s: Shared, plan: AugmentPlan, buf: BatchBuffers, size: number, ids: readonly string[]): Promise<Float32Array | null> {
  const { options, epoch } = s.ctx;
  const b = { size, k: buf.k, patches: buf.patches, positions: buf.positions, labels: buf.labels, ids };
  for (let a = 0; a < size; a += AUGMENT_ROWS_PER_TURN) {
    augmentRows(plan, b, a, Math.min(size, a + AUGMENT_ROWS_PER_TURN), options.seed, epoch);
    if (s.reads > 0 && a + AUGMENT_ROWS_PER_TURN < size) await nextTurn();
  }
  return mixRows(plan, b, options.seed, epoch, buf.mixScratch, buf.targets);
}

/**
 * The row of sample `sample` of `slot` this epoch: its only row, or with K views the view
 * pickView draws (or the fixed view index), checked to be that image's view (ShardError otherwise).
 */
function viewRow(slot: ShardSlot, sample: number, sources: Sources, options: ResolvedOptions, epoch: number): number {
  const K = sources.views;
  if (K === 1) return sample;
  const first = sample * K;
  const id = slot.ids[first];
  const view = pickView(options.seed, epoch, id, K, options.viewIndex);
  const row = first + view;
  if (slot.views[row] !== view || slot.ids[row] !== id) {
    throw new ShardError(`row ${row} is view ${slot.views[row]} of ${show(slot.ids[row])}, expected view ${view} of ${show(id)}: an image's rows must be its views 0…${K - 1} in order`, {
      file: slot.holds ? sources.datasets[slot.holds.dataset].store.describe(slot.holds.entry.file) : undefined,
    });
  }
  return row;
}

async function fillBatches(s: Shared): Promise<void> {
  const { ctx, plan } = s;
  const { options, sources, seq, from, epoch } = ctx;
  const B = options.batchSize;
  const len = plan.shardOf.length;
  const visitOfShard = new Int32Array(sources.shards.length).fill(-1);
  plan.visits.forEach((v, i) => (visitOfShard[v.shard] = i));
  const slotOf: Array<ShardSlot | null> = plan.visits.map(() => null);
  const release = releaseSchedule(plan, from, B);
  const mean = options.content === Content.Mean ? meanPixel(sources.meta.mean) : null;
  const augment = anyAugment(options.augment) ? augmentPlan(options.augment, sources.meta) : null;
  const rowSlots = new Array<ShardSlot>(B);
  const rowOf = new Uint32Array(B);
  let writer: RowWriter | null = null;
  for (let b = 0, start = 0; start < len; b++, start += B) {
    const size = Math.min(B, len - start);
    const buf = await s.batches.acquire();
    if (!buf || s.stopped()) return;
    writer ??= rowWriter(sources.meta, options, epoch, buf.k);
    const ids = new Array<string>(size);
    for (let i = 0; i < size; i++) {
      const v = visitOfShard[plan.shardOf[start + i]];
      const slot = slotOf[v] ?? (slotOf[v] = await s.ready[v].promise);
      const row = viewRow(slot, plan.rowOf[start + i], sources, options, epoch);
      rowSlots[i] = slot;
      rowOf[i] = row;
      ids[i] = slot.ids[row];
      buf.views[i] = slot.views[row];
      buf.labels[i] = slot.labels[row];
      buf.indices[i] = seq[from + start + i];
      buf.flipped[i] = options.flip && shouldFlip(options.seed, epoch, ids[i]) ? 1 : 0;
    }
    const step = Math.max(1, Math.floor(WRITE_BYTES_PER_TURN / buf.rowPatchBytes));
    for (let a = 0; a < size; a += step) {
      writeRows(writer, rowSlots, rowOf, a, Math.min(size, a + step), buf, ids);
      if (s.reads > 0 && a + step < size) await nextTurn();
    }
    if (s.stopped()) return;
    if (mean) fillMean(buf.patches.subarray(0, size * buf.rowPatchBytes), mean);
    const targets = augment ? await augmentInTurns(s, augment, buf, size, ids) : null;
    if (s.stopped()) return;
    for (const v of release[b]) {
      s.slots.release(slotOf[v] as ShardSlot);
      slotOf[v] = null;
    }
    const consumed = from + start + size;
    const batch: Batch = {
      size,
      ...buf.view(size),
      targets,
      ids,
      epoch,
      index: Math.floor(from / B) + b,
      state: makeState(ctx.key, epoch, consumed),
    };
    if (!(await s.channel.push({ batch, buffers: buf }))) return;
    await nextTurn(); // let pending I/O (the shard reader's reads) run between batches
  }
}
