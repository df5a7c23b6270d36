/**
 * One epoch of one rank, from a resume position: two cooperating tasks and the consumer.
 * - the shard reader reads shards in order of first use into slots (at most the plan's peak plus
 *   `prefetchShards`), each fully verified before it is marked ready;
 * - the batch producer fills pooled batch buffers from ready slots (flipping samples when asked),
 *   releases each slot after its last use, and queues at most `prefetch` batches;
 * - the consumer (this generator) yields queued batches; a batch's buffers return to the pool when
 *   the consumer asks for the next one.
 * Breaking out of the loop stops both tasks, closes the open shard and returns every buffer.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { InputError } from '../util/errors.js';
import { ReadBuffers } from '../shards/decode/stream.js';
import { flipRow, shouldFlip, type FlipGeometry } from './augment/flip.js';
import { Content, fillMean, meanPixel } from './augment/content.js';
import { copySubset, subsetIndices } from './augment/subset.js';
import type { Batch, BatchBuffers } from './batch.js';
import { Channel, Pool } from './channel.js';
import type { ResolvedOptions } from './options.js';
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
}

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
  const s: Shared = {
    ctx,
    plan,
    slots: new Pool(ctx.newSlot, slots),
    batches: new Pool(ctx.newBatch, options.prefetch + 1),
    ready: plan.visits.map(() => deferred<ShardSlot>()),
    channel: new Channel<Queued>(options.prefetch),
    stopped: () => stop,
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

async function readShards(s: Shared): Promise<void> {
  const buffers = new ReadBuffers();
  const { sources } = s.ctx;
  for (let v = 0; v < s.plan.visits.length; v++) {
    const slot = await s.slots.acquire();
    if (!slot || s.stopped()) return;
    const ref = sources.shards[s.plan.visits[v].shard];
    try {
      const hash = s.ctx.verifyHash(ref);
      await loadShard(sources, ref, slot, buffers, hash, s.stopped);
      if (s.stopped()) return;
      if (hash) s.ctx.verified(ref);
      s.ready[v].resolve(slot);
    } catch (err) {
      s.ready[v].reject(err);
      return;
    }
  }
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

async function fillBatches(s: Shared): Promise<void> {
  const { ctx, plan } = s;
  const { options, sources, seq, from, epoch } = ctx;
  const B = options.batchSize;
  const len = plan.shardOf.length;
  const visitOfShard = new Int32Array(sources.shards.length).fill(-1);
  plan.visits.forEach((v, i) => (visitOfShard[v.shard] = i));
  const slotOf: Array<ShardSlot | null> = plan.visits.map(() => null);
  const release = releaseSchedule(plan, from, B);
  const geo: FlipGeometry = { patchSize: sources.meta.patchSize, channels: sources.meta.channels, gridWidth: sources.meta.grid[1] };
  const scratch = new Uint8Array(geo.patchSize * geo.patchSize * geo.channels);
  const mean = options.content === Content.Mean ? meanPixel(sources.meta.mean) : null;
  const stored = sources.meta.k;
  const order = new Uint16Array(stored);
  const subsetOf = (id: string): Uint16Array | null =>
    options.subset === undefined ? null : subsetIndices(options.seed, epoch, id, stored, options.subset, order);
  for (let b = 0, start = 0; start < len; b++, start += B) {
    const size = Math.min(B, len - start);
    const buf = await s.batches.acquire();
    if (!buf || s.stopped()) return;
    const ids = new Array<string>(size);
    const R = buf.rowPatchBytes;
    const k = buf.k;
    for (let i = 0; i < size; i++) {
      const v = visitOfShard[plan.shardOf[start + i]];
      const slot = slotOf[v] ?? (slotOf[v] = await s.ready[v].promise);
      const row = plan.rowOf[start + i];
      ids[i] = slot.ids[row];
      copyRow(slot, row, buf, i, subsetOf(ids[i]));
      buf.labels[i] = slot.labels[row];
      buf.indices[i] = seq[from + start + i];
      const flip = options.flip && shouldFlip(options.seed, epoch, ids[i]);
      buf.flipped[i] = flip ? 1 : 0;
      if (flip) {
        flipRow(buf.patches.subarray(i * R, i * R + R), buf.positions.subarray(i * k, i * k + k), buf.scores.subarray(i * k, i * k + k), geo, scratch);
      }
    }
    if (mean) fillMean(buf.patches.subarray(0, size * R), mean);
    for (const v of release[b]) {
      s.slots.release(slotOf[v] as ShardSlot);
      slotOf[v] = null;
    }
    const consumed = from + start + size;
    const batch: Batch = {
      size,
      ...buf.view(size),
      ids,
      epoch,
      index: Math.floor(from / B) + b,
      state: makeState(ctx.key, epoch, consumed),
    };
    if (!(await s.channel.push({ batch, buffers: buf }))) return;
    await nextTurn(); // let pending I/O (the shard reader's reads) run between batches
  }
}

/** Copies row `row` of `slot` into batch row `i`: whole, or only the patches `keep` (a subset). */
function copyRow(slot: ShardSlot, row: number, buf: BatchBuffers, i: number, keep: Uint16Array | null): void {
  const [R, k] = [buf.rowPatchBytes, buf.k];
  if (keep === null) {
    buf.patches.set(slot.patches.subarray(row * R, row * R + R), i * R);
    buf.positions.set(slot.positions.subarray(row * k, row * k + k), i * k);
    buf.scores.set(slot.scores.subarray(row * k, row * k + k), i * k);
    return;
  }
  const [SR, K] = [slot.rowPatchBytes, slot.k];
  const src = { patches: slot.patches.subarray(row * SR, row * SR + SR), positions: slot.positions.subarray(row * K, row * K + K), scores: slot.scores.subarray(row * K, row * K + K) };
  const dst = { patches: buf.patches.subarray(i * R, i * R + R), positions: buf.positions.subarray(i * k, i * k + k), scores: buf.scores.subarray(i * k, i * k + k) };
  copySubset(src, keep, SR / K, dst);
}
