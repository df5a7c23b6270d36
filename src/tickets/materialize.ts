/**
 * materialize: source → patchify → policy → ticket shards. Shard j holds the samples of source
 * slots [j·R, (j+1)·R) that decoded; failed samples are recorded in errors.jsonl. Complete shards
 * of an interrupted run are reused (hash verified). Output is byte-identical whatever the
 * concurrency.
 */
import { mapConcurrent, patchify as realPatchify, range } from '../patchify/index.js';
import type { PatchGrid, PatchifyConfig } from '../patchify/types.js';
import { shardCount, shardSlots } from '../shards/layout.js';
import type { FinalizeResult } from '../shards/writer.js';
import { createTicketWriter } from '../shards/writer.js';
import type { Policy } from '../shards/types.js';
import type { ImagePayload, Source } from '../sources/types.js';
import { throwIfStopped, stopSignal } from '../util/abort.js';
import { InputError } from '../util/errors.js';
import { nodeFs, type Fs } from '../util/fsx.js';
import { createProgress } from '../util/progress.js';
import { commitFailures, failureRecord, ERRORS_FILE, type FailureRecord } from './failures.js';
import { resolveK, ticketMeta } from './meta.js';
import { getPolicy, resolveTicketK, type Selection } from './policies/index.js';
import { sliceSource, type WorkerSlot } from '../sources/partition.js';
import { ScoreCursor } from './scorecursor.js';
import { sampleSelection } from './select.js';

export { ERRORS_FILE };

export interface MaterializeOptions {
  source: Source;
  patchify: PatchifyConfig;
  policy: Policy;
  k?: number;
  keep?: number;
  /** Policy ticket: derive k from the score dataset (`evit-rate`: the EViT survivor count). */
  keepFrom?: 'evit-rate';
  seed?: number;
  out: string;
  shardBytes?: number;
  batchBytes?: number;
  concurrency?: number;
  /** Score dataset directory (policies that need scores). */
  scores?: string;
  /** Failed samples tolerated (default 0). */
  maxFailures?: number;
  progress?: boolean;
  split?: string;
  /** Worker i of N of a job array: materialize only its contiguous slice of the sorted source, as a complete dataset in `out`. */
  worker?: WorkerSlot | null;
  fs?: Fs;
  signal?: AbortSignal;
  /** Injectable for tests; default: the patchify stage. */
  patchifyFn?: (payload: ImagePayload, config: PatchifyConfig) => Promise<PatchGrid>;
}

export interface MaterializeResult extends FinalizeResult {
  failures: number;
}

export async function materialize(options: MaterializeOptions): Promise<MaterializeResult> {
  const { patchify: cfg } = options;
  const source = sliceSource(options.source, options.worker ?? null);
  const spec = getPolicy(options.policy);
  const n = (cfg.imageSize[0] / cfg.patchSize) * (cfg.imageSize[1] / cfg.patchSize);
  const cursor = spec.needsScores ? await ScoreCursor.open(requireScores(options)) : null;
  const { k, keep, kDerivation } = options.keepFrom !== undefined && cursor
    ? resolveTicketK({ keepFrom: options.keepFrom }, cursor.dataset.meta)
    : resolveK(options.policy, n, options);
  const seed = spec.seeded ? (options.seed ?? 0) : null;
  const meta = ticketMeta({ patchify: cfg, policy: options.policy, k, keep, kDerivation, seed, source, split: options.split,
    selector: cursor?.dataset.meta.selector ?? null });
  const fs = options.fs ?? nodeFs;
  const writer = await createTicketWriter({ dir: options.out, meta, fs, shardBytes: options.shardBytes, batchBytes: options.batchBytes,
    runKey: `${source.fingerprint}:${source.size}:${cursor?.dataset.manifest.fingerprint ?? ''}` });
  const count = shardCount(source.size, writer.layout);
  const failures: FailureRecord[] = [];
  const progress = createProgress({ label: 'materialize', total: source.size, unit: 'img', quiet: options.progress === false });
  const run = options.patchifyFn ?? ((payload, config) => realPatchify(payload, config));
  const signal = options.signal ?? stopSignal;
  try {
    for (let j = 0; j < count; j++) {
      throwIfStopped(signal);
      const [start, end] = shardSlots(j, source.size, writer.layout);
      const reused = writer.reusedShard(j);
      if (reused) {
        failures.push(...((reused.extra as FailureRecord[] | undefined) ?? []));
        progress.tick(end - start, `shard ${j} reused`);
        continue;
      }
      await writer.beginShard(j);
      const shardFailures: FailureRecord[] = [];
      const work = (payload: ImagePayload) => run(payload, cfg);
      for await (const r of mapConcurrent(source, range(start, end), work, { concurrency: options.concurrency ?? 2 })) {
        // Selection runs here, in slot order: score rows are read forward in the same order.
        const ref = source.ref(r.index);
        let sel: Selection;
        try {
          if (!r.ok) throw r.error;
          const scoreRow = cursor ? await cursor.get(ref.id) : undefined;
          sel = sampleSelection(spec, { id: ref.id, n, k, seed: seed ?? 0, scoreRow }, r.value, meta);
        } catch (err) {
          shardFailures.push(failureRecord(source, r.index, err instanceof Error ? err : new Error(String(err))));
          progress.tick();
          continue;
        }
        const grid = r.value.patches;
        await writer.writeVia((enc) => enc.appendFromGrid(ref.id, ref.label, grid, sel.positions, sel.scores));
        progress.tick();
      }
      await writer.endShard(shardFailures);
      failures.push(...shardFailures);
    }
    await commitFailures(options.out, failures, options.maxFailures ?? 0, fs);
    const result = await writer.finalize(count);
    progress.done(`${result.rows} rows in ${result.shards} shards`);
    return { ...result, failures: failures.length };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await cursor?.close();
  }
}

function requireScores(options: MaterializeOptions): string {
  if (!options.scores) throw new InputError(`policy ${options.policy} needs a score dataset (scores)`);
  return options.scores;
}
