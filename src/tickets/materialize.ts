/**
 * materialize: source → patchify → policy → ticket shards. The sharded-stage engine (src/engine/)
 * owns partition, batching, decode, shards, failures and progress; this file is the per-batch
 * work: select each sample's patches (policies that need scores read them forward, in source
 * order) and append its row. Output is byte-identical whatever the concurrency or worker split.
 * A score dataset with views (meta.views) gives every image its K views: each is rebuilt from
 * (seed, id, view) as scoring drew it, checked against the score row's recorded crop and content
 * hash, and gets its own ticket row (K rows per image, all or none of them).
 */
import { runSharded, type Decoded, type EngineResult, type SampleFailure } from '../engine/run.js';
import { ERRORS_FILE } from '../engine/failures.js';
import type { EngineOptions } from '../engine/options.js';
import { patchify as realPatchify } from '../patchify/patchify.js';
import type { PatchGrid, PatchifyConfig } from '../patchify/types.js';
import { createTicketWriter, type ShardWriter } from '../shards/writer.js';
import type { TicketEncoder } from '../shards/encode/tickets.js';
import type { DatasetMeta, Policy, ScoreRow, TicketRow } from '../shards/types.js';
import type { ImagePayload, Source } from '../sources/types.js';
import { InputError, show } from '../util/errors.js';
import { resolveK, ticketMeta } from './meta.js';
import { getPolicy, resolveTicketK, type PolicySpec } from './policies/index.js';
import { ScoreCursor } from './scorecursor.js';
import { evitTicketOf } from './chain.js';
import { contentHash } from '../scoring/content.js';
import type { PreprocessingOverrides } from '../preprocessing/resolve.js';
import type { SelectorSpec } from '../scoring/selector.js';
import { openDataset, type Dataset } from '../shards/reader.js';
import { scoreRows } from '../shards/rows.js';
import { DatasetKind } from '../shards/types.js';
import { sampleSelection } from './select.js';
import { jpegEncoding, PATCH_ENCODINGS, type PatchEncodingName } from '../shards/patch-jpeg.js';
import { decodePlan, type DecodeReference, type RequestedGeometry } from './decode-as.js';
import { loadMaskInputs, type MaskInputs, type MaskOptions } from './mask-inputs.js';
import { patchifyViews, type ViewGrid } from '../patchify/views.js';
import { describeRowView, sameRowView } from '../views/crop.js';
import type { PatchSelection } from './policies/types.js';

export { ERRORS_FILE };

export interface MaterializeOptions extends MaskOptions {
  source: Source;
  /**
   * The caller's patch geometry. With a score dataset (any policy), images are decoded as its
   * selector saw them: its recorded geometry, preprocessing and mean/std win; with a selector
   * `checkpoint`, that checkpoint's own preprocessing does (src/tickets/decode-as.ts).
   */
  patchify: PatchifyConfig;
  /** Explicit preprocessing overrides (flags, pipeline fields): they win over everything. */
  preprocessing?: PreprocessingOverrides;
  /**
   * Geometry the caller asked for explicitly: it must agree with the score dataset's or the
   * checkpoint's (an InputError otherwise). Absent fields were not asked for.
   */
  requested?: RequestedGeometry;
  /** Decode as this selector checkpoint would be fed (policies without scores; not with `scores`). */
  checkpoint?: SelectorSpec & { checkpoint: string };
  policy: Policy;
  k?: number;
  keep?: number;
  /** Policy ticket: derive k from the score dataset (`evit-rate`: the EViT survivor count). */
  keepFrom?: 'evit-rate';
  /** Policy ticket on EViT scores stored at several rates: the chain to take the ticket from. */
  rate?: number;
  /**
   * Policy ticket on EViT scores: allow a k other than the chain's survivor count, i.e. a prefix
   * of its rank (not an EViT ticket); recorded as `evitTicket.taken = "rank-prefix"`.
   */
  rankPrefix?: boolean;
  seed?: number;
  /**
   * How rows store their patches: `raw` (default) or `jpeg`, one JPEG per row laid out so that no
   * JPEG block crosses a patch border (src/shards/patch-jpeg.ts); recorded as meta.patchEncoding.
   */
  patchEncoding?: PatchEncodingName;
  /** JPEG quality 1–100 (default 90); only with patchEncoding jpeg. */
  jpegQuality?: number;
  /** Where and how the run writes (the engine's options: out, worker, batch grid, decode concurrency, shards, failures). */
  engine: EngineOptions;
  /**
   * Score dataset directory: a whole dataset, or the worker's part of one. Policy ticket ranks by
   * it; every policy decodes with its recorded preprocessing (a fair comparison: the same pixels).
   */
  scores?: string;
  /**
   * Accept a score dataset made from another copy of the source (another listing fingerprint):
   * every sample is then checked against the content hash the scoring lab recorded.
   */
  allowForeignScores?: boolean;
  split?: string;
  /** Injectable for tests; default: the patchify stage. */
  patchifyFn?: (payload: ImagePayload, config: PatchifyConfig) => Promise<PatchGrid>;
}

export type MaterializeResult = EngineResult;

interface Work {
  /** Check each image against the score row's content hash. */
  checkContent: boolean;
  spec: PolicySpec;
  meta: DatasetMeta;
  cursor: ScoreCursor | null;
  source: Source;
  n: number;
  seed: number;
  masks: MaskInputs;
}

/** The score row of one view; with views, its recorded crop must be the one rebuilt here. */
async function viewScoreRow(w: Work, id: string, v: ViewGrid): Promise<ScoreRow | undefined> {
  if (!w.cursor) return undefined;
  const row = await w.cursor.get(id, w.meta.views ? v.view.index : undefined);
  if (w.meta.views && row.view && !sameRowView(row.view, v.view)) {
    throw new InputError(`${describeRowView(v.view)} rebuilt here differs from the score dataset's ${describeRowView(row.view)}: another image size or another drawing of the views`);
  }
  return row;
}

async function selectBatch(w: Work, batch: readonly Decoded<ViewGrid[]>[], writer: ShardWriter<TicketRow, TicketEncoder>): Promise<SampleFailure[]> {
  const failed: SampleFailure[] = [];
  for (const { index, value: views } of batch) {
    const ref = w.source.ref(index);
    try {
      // Every view is selected before any is written: an image has all its K rows or none.
      const rows: { grid: PatchGrid; sel: PatchSelection; view: number }[] = [];
      for (const v of views) {
        const scoreRow = await viewScoreRow(w, ref.id, v);
        if (w.checkContent && scoreRow?.content) checkContent(scoreRow.content, v.grid.patches);
        const ctx = { id: ref.id, n: w.n, k: w.meta.k, seed: w.seed, scoreRow, grid: w.meta.grid, cover: w.masks.cover?.(index), prior: w.masks.prior };
        rows.push({ grid: v.grid, sel: sampleSelection(w.spec, ctx, v.grid, w.meta), view: v.view.index });
      }
      for (const r of rows) {
        const view = w.meta.views ? r.view : undefined;
        await writer.writeVia((enc) => enc.appendFromGrid(ref.id, ref.label, r.grid.patches, r.sel.positions, r.sel.scores, view));
      }
    } catch (err) {
      failed.push({ index, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }
  return failed;
}

export async function materialize(options: MaterializeOptions): Promise<MaterializeResult> {
  const { source } = options;
  const spec = getPolicy(options.policy);
  if (!spec.needsScores) {
    const given = [options.rate !== undefined && 'rate', options.rankPrefix && 'rankPrefix', options.keepFrom !== undefined && 'keepFrom'].filter(Boolean);
    if (given.length > 0) throw new InputError(`${given.join(', ')}: only policy ticket (from a score dataset) takes ${given.length > 1 ? 'these' : 'it'}, not ${options.policy}`);
  }
  const encoding = options.patchEncoding ?? 'raw';
  if (!PATCH_ENCODINGS.includes(encoding)) throw new InputError(`patch encoding must be one of ${PATCH_ENCODINGS.join(', ')}, got ${show(encoding)}`);
  if (options.jpegQuality !== undefined && encoding !== 'jpeg') throw new InputError('a JPEG quality is only for patch encoding jpeg');
  if (options.scores !== undefined && options.checkpoint !== undefined) {
    throw new InputError('give a score dataset or a selector checkpoint to decode as, not both (a score dataset records its selector\'s preprocessing)');
  }
  const cursor = spec.needsScores ? await ScoreCursor.open(requireScores(options), options.rate) : null;
  try {
    const scores = cursor?.dataset ?? (options.scores !== undefined ? await openDataset(options.scores, { kind: DatasetKind.Scores }) : null);
    const { cfg, from } = await decodePlan(reference(scores, options), options.patchify, options.preprocessing ?? {}, options.requested);
    const n = (cfg.imageSize[0] / cfg.patchSize) * (cfg.imageSize[1] / cfg.patchSize);
    const { k, keep, kDerivation } = options.keepFrom !== undefined && cursor
      ? resolveTicketK({ keepFrom: options.keepFrom, k: options.k, keep: options.keep }, cursor.dataset.meta, options.rate)
      : resolveK(options.policy, n, options);
    const evitTicket = cursor ? evitTicketOf(cursor.chain, k, options.rankPrefix ?? false, cursor.dataset.store.location) : undefined;
    const seed = spec.seeded ? (options.seed ?? 0) : null;
    const views = scores?.meta.views;
    if (views && options.policy === 'oracle') {
      throw new InputError(`policy oracle reads each image's own object mask, which the views' crops do not follow: materialize it from a score dataset without views`, { file: scores?.store.location });
    }
    const masks = await loadMaskInputs(options.policy, spec, options, source, cfg);
    const meta = ticketMeta({ patchify: cfg, preprocessingFrom: from, policy: options.policy, k, keep, kDerivation, seed, source, split: options.split,
      selector: cursor?.dataset.meta.selector ?? null, evitTicket, policyParams: masks.params, views,
      ...(encoding === 'jpeg' ? { patchEncoding: jpegEncoding({ patchSize: cfg.patchSize, k }, options.jpegQuality) } : {}) });
    const checkContent = cursor ? await checkScores(cursor, options, source) : false;
    const work: Work = { checkContent, spec, meta, cursor, source, n, seed: seed ?? 0, masks };
    const decode = options.patchifyFn ?? ((payload, config) => realPatchify(payload, config));
    return await runSharded({
      label: 'materialize', source, meta, createWriter: createTicketWriter,
      runKey: cursor?.dataset.manifest.fingerprint ?? '',
      load: async (index) => patchifyViews(await source.load(index), cfg, source.ref(index).id, views, decode),
      process: (batch, writer) => selectBatch(work, batch, writer),
    }, options.engine);
  } finally {
    await cursor?.close();
  }
}

function reference(scores: Dataset | null, options: MaterializeOptions): DecodeReference {
  if (scores) return { kind: 'scores', meta: scores.meta, location: scores.store.location };
  if (options.checkpoint) return { kind: 'checkpoint', selector: options.checkpoint };
  return { kind: 'caller' };
}

/** A sample whose pixels are not those the scoring lab scored. */
export class ContentMismatchError extends InputError {
  constructor(expected: Uint8Array, actual: Uint8Array) {
    super(`its pixels differ from the image that was scored (content sha256 ${hex(actual).slice(0, 16)}…, the score dataset's ${hex(expected).slice(0, 16)}…): another file, or another decode`);
    this.name = 'ContentMismatchError';
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function checkContent(expected: Uint8Array, patches: Uint8Array): void {
  const actual = contentHash(patches);
  if (!Buffer.from(actual).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))) throw new ContentMismatchError(expected, actual);
}

/**
 * Before any image is decoded: the score dataset must come from this source (same listing
 * fingerprint) unless foreign scores are allowed, which then needs content hashes and ids this
 * source has (another copy of the same images, not other images). Returns whether each sample's
 * content is to be checked (whenever the scores record it).
 */
async function checkScores(cursor: ScoreCursor, options: MaterializeOptions, source: Source): Promise<boolean> {
  const m = cursor.dataset.meta;
  const file = cursor.dataset.store.location;
  const hashed = m.contentHash === 'sha256';
  if (m.source.fingerprint === source.fingerprint) return hashed;
  const first = await firstScoreId(cursor.dataset);
  if (first !== null && !sourceHasId(source, first)) {
    throw new InputError(`scored other images: its first id ${show(first)} is not in this source (${source.size} images, ids ${show(source.size > 0 ? source.ref(0).id : '')}…), `
      + 'so no image here has a score row: score this source (or give the scores of this split)', { file });
  }
  if (!options.allowForeignScores) {
    throw new InputError(`scored another copy of this source (listing ${m.source.fingerprint}; this one is ${source.fingerprint}): to rebuild tickets from your own copy of the images, allow foreign scores (--foreign-scores), and each image is checked against the content hash the scoring lab recorded`, { file });
  }
  if (!hashed) throw new InputError('records no content hashes (made by an older dlth), so images of another copy of the source cannot be checked: rescore, or use the scoring lab\'s ticket datasets', { file });
  return hashed;
}

async function firstScoreId(dataset: Dataset): Promise<string | null> {
  const rows = scoreRows(dataset);
  try {
    const { value, done } = await rows.next();
    return done ? null : value.id;
  } finally {
    await rows.return(undefined);
  }
}

/** Whether the source (sorted by id, as the score rows are) holds `id`: a binary search. */
function sourceHasId(source: Source, id: string): boolean {
  let lo = 0;
  let hi = source.size - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = source.ref(mid).id;
    if (at === id) return true;
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function requireScores(options: MaterializeOptions): string {
  if (!options.scores) throw new InputError(`policy ${options.policy} needs a score dataset (scores)`);
  return options.scores;
}
