import { InputError, PipelineError, show } from '../util/errors.js';
import { resolveViews, viewsOptions } from '../views/spec.js';
import type { MaterializeStage, Pipeline, ScoreStage, Stage, TrainStage } from './types.js';
import { formatKeep, parseDatasetRef, substituteKeep } from './refs.js';
import { isVariantName, variantConfig } from '../model/configs.js';
import { defaultEvitBlocks, EVIT_DEFAULT_RATE } from '../scoring/modes/evit.js';
import { evitSurvivors } from '../model/evit-counts.js';
import { kFromFraction } from '../tickets/policies/ticket.js';
import { checkReportStage } from './report-check.js';

type Fail = (path: string, message: string) => never;

/** Checks what the schema cannot: geometry, cross-references between stages, combinations. */
export function checkSemantics(p: Pipeline, file: string): void {
  const fail: Fail = (path, message) => {
    throw new PipelineError(message, path, { file });
  };
  const grid = checkPatchify(p, fail);
  const seen = new Map<string, Stage>();
  p.stages.forEach((stage, i) => {
    const at = `$.stages[${i}]`;
    if (seen.has(stage.name)) fail(`${at}.name`, `duplicate stage name ${show(stage.name)}`);
    if (stage.kind === 'materialize') checkMaterialize(p, stage, at, seen, grid, fail);
    else if (stage.kind === 'score') checkScore(p, stage, at, seen, fail);
    else if (stage.kind === 'train') checkTrain(stage, at, seen, fail);
    else {
      stage.paths.forEach((rp, j) => {
        const t = seen.get(rp.train);
        if (t?.kind !== 'train') fail(`${at}.paths[${j}].train`, `no earlier train stage named ${show(rp.train)}`);
        else if (!(t.eval ?? []).includes(rp.eval)) fail(`${at}.paths[${j}].eval`, `${show(rp.eval)} is not one of stage ${show(t.name)}'s eval datasets ${show(t.eval ?? [])}`);
      });
      const problems = checkReportStage(stage);
      if (problems.length > 0) fail(at, problems.join('; '));
    }
    seen.set(stage.name, stage);
  });
}

function checkPatchify(p: Pipeline, fail: Fail): number {
  const { imageSize, patchSize } = p.patchify;
  const [h, w] = typeof imageSize === 'number' ? [imageSize, imageSize] : imageSize;
  if (h % patchSize !== 0 || w % patchSize !== 0) {
    fail('$.patchify.patchSize', `patch size ${patchSize} does not divide the image size ${h}×${w}`);
  }
  const n = (h / patchSize) * (w / patchSize);
  if (n > 65535) fail('$.patchify.patchSize', `grid of ${n} patches exceeds the uint16 position range`);
  const channels = p.patchify.channels ?? 3;
  for (const key of ['mean', 'std'] as const) {
    const v = p.patchify[key];
    if (v && v.length !== channels) fail(`$.patchify.${key}`, `expected ${channels} values (one per channel), got ${v.length}`);
  }
  return n;
}

function checkSources(p: Pipeline, names: string[], at: string, fail: Fail): void {
  names.forEach((s, j) => {
    if (!(s in p.sources)) fail(`${at}.sources[${j}]`, `unknown source ${show(s)}; sources are ${show(Object.keys(p.sources))}`);
  });
}

function checkMaterialize(p: Pipeline, s: MaterializeStage, at: string, seen: Map<string, Stage>, n: number, fail: Fail): void {
  checkSources(p, s.sources, at, fail);
  const hasKeep = s.keep !== undefined;
  const hasK = s.k !== undefined;
  if (s.policy === 'full' && (hasKeep || hasK || s.keepFrom)) fail(`${at}.policy`, 'policy "full" keeps every patch: remove keep, k and keepFrom');
  if (s.policy !== 'full' && [hasKeep, hasK, s.keepFrom !== undefined].filter(Boolean).length !== 1) {
    fail(at, `policy ${show(s.policy)} needs exactly one of keep, k or keepFrom`);
  }
  if (hasK && (s.k as number) > n) fail(`${at}.k`, `k = ${s.k} exceeds the ${n} patches of the grid`);
  checkMasks(s, at, fail);
  const scored = s.scores === undefined ? undefined : seen.get(s.scores);
  if (s.policy === 'oracle' && scored?.kind === 'score' && (viewsOptions(scored.views)?.count ?? 1) > 1) {
    fail(`${at}.policy`, `policy "oracle" reads each image's own object mask, which the views of score stage ${show(scored.name)} do not follow: use a score stage without views`);
  }
  if (s.jpegQuality !== undefined && s.patchEncoding !== 'jpeg') fail(`${at}.jpegQuality`, 'a JPEG quality needs "patchEncoding": "jpeg"');
  if (s.policy === 'ticket') {
    const sc = s.scores === undefined ? undefined : seen.get(s.scores);
    if (sc?.kind !== 'score') fail(`${at}.scores`, `policy "ticket" needs "scores": the name of an earlier score stage`);
    const missing = s.sources.filter((src) => !(sc as ScoreStage).sources.includes(src));
    if (missing.length > 0) fail(`${at}.sources`, `score stage ${show(sc.name)} does not score ${show(missing)}`);
    if (s.keepFrom === 'evit-rate' && (sc as ScoreStage).mode !== undefined && (sc as ScoreStage).mode !== 'evit') {
      fail(`${at}.keepFrom`, `"evit-rate" needs an evit score stage; ${show(sc.name)} is ${show((sc as ScoreStage).mode)}`);
    }
    checkChain(s, sc, at, seen, n, fail);
    if (s.preprocessing !== undefined) fail(`${at}.preprocessing`, 'policy "ticket" decodes as its scores were made: remove preprocessing');
  } else {
    for (const key of ['keepFrom', 'rate', 'rankPrefix'] as const) {
      if (s[key] !== undefined) fail(`${at}.${key}`, `only policy "ticket" takes ${key}`);
    }
    if (s.scores !== undefined && p.stages.find((x) => x.name === s.scores)?.kind !== 'score') {
      fail(`${at}.scores`, `${show(s.scores)} is not a score stage of this pipeline (scores names the selector whose preprocessing this stage decodes with)`);
    }
    if (s.scores !== undefined && s.preprocessing !== undefined) fail(`${at}.preprocessing`, 'give scores (decode as that selector) or preprocessing "pipeline", not both');
    if (s.scores === undefined && s.preprocessing === undefined) {
      const refs = comparisonSelectors(p);
      if (refs.size > 1) {
        fail(at, `the pipeline's score stages decode images differently (${[...refs.values()].join('; ')}): say which this stage decodes as, with "scores": <score stage> or "preprocessing": "pipeline"`);
      }
    }
  }
}

/** masks: policy oracle, one file per source of the stage; priorMasks: policy prior. */
function checkMasks(s: MaterializeStage, at: string, fail: Fail): void {
  if (s.priorMasks !== undefined && s.policy !== 'prior') fail(`${at}.priorMasks`, `only policy "prior" takes priorMasks, not ${show(s.policy)}`);
  if (s.masks !== undefined && s.policy !== 'oracle') fail(`${at}.masks`, `only policy "oracle" takes masks, not ${show(s.policy)}`);
  if (s.policy !== 'oracle') return;
  const missing = s.sources.filter((src) => s.masks?.[src] === undefined);
  if (missing.length > 0) fail(`${at}.masks`, `policy "oracle" needs the object masks of each source: add ${missing.map((m) => `"${m}": <masks IDX file>`).join(', ')}`);
  const extra = Object.keys(s.masks ?? {}).filter((src) => !s.sources.includes(src));
  if (extra.length > 0) fail(`${at}.masks`, `${show(extra)} ${extra.length > 1 ? 'are' : 'is'} not among the stage's sources ${show(s.sources)}`);
}

/**
 * How each score stage's selector decodes images, keyed by identity: a checkpoint (its own
 * preprocessing) or the pipeline's patchify settings (a selector trained here, or random weights).
 */
export function comparisonSelectors(p: Pipeline): Map<string, string> {
  const refs = new Map<string, string>();
  for (const s of p.stages) {
    if (s.kind !== 'score') continue;
    const sel = scoreCheckpoint(s);
    if (sel) refs.set(`checkpoint:${sel.checkpoint}:${sel.model ?? ''}`, `${s.name}: checkpoint ${sel.checkpoint}`);
    else if (!refs.has('pipeline')) refs.set('pipeline', `${s.name}: the pipeline's patchify settings`);
  }
  return refs;
}

/**
 * The checkpoint a score stage's selector is, or null: a selector trained in the pipeline or random
 * weights decode with the pipeline's patchify settings. The one answer to "does this stage decode as
 * a checkpoint?" for validation (comparisonSelectors) and for running (stages/materialize).
 */
export function scoreCheckpoint(s: ScoreStage): Extract<ScoreStage['selector'], { checkpoint: string }> | null {
  const sel = s.selector;
  return typeof sel !== 'string' && 'checkpoint' in sel ? sel : null;
}

/** Depth of the selector a score stage uses, when the pipeline names it (a train stage or a random init). */
function selectorDepth(sc: ScoreStage, seen: Map<string, Stage>): number | null {
  const model = typeof sc.selector === 'string' ? (seen.get(sc.selector) as TrainStage | undefined)?.model : 'init' in sc.selector ? sc.selector.model : undefined;
  return model !== undefined && isVariantName(model) ? variantConfig(model).depth : null;
}

/**
 * A ticket from an evit score stage: the chain (its rate) must be one the stage stores, and each k
 * must be that chain's survivor count unless rankPrefix asks for a prefix of its rank. The count
 * needs only the number of pruning blocks: given, or the quarter points of a known selector's depth
 * (a checkpoint selector without blocks is checked when the stage starts, before any decode).
 */
function checkChain(s: MaterializeStage, sc: ScoreStage, at: string, seen: Map<string, Stage>, n: number, fail: Fail): void {
  if ((sc.mode ?? 'evit') !== 'evit') {
    if (s.rate !== undefined) fail(`${at}.rate`, `score stage ${show(sc.name)} is mode ${show(sc.mode)}, which has no EViT rate`);
    return;
  }
  const rates = Array.isArray(sc.rate) ? sc.rate : [sc.rate ?? EVIT_DEFAULT_RATE];
  if (s.rate !== undefined && !rates.includes(s.rate)) fail(`${at}.rate`, `score stage ${show(sc.name)} has no chain at rate ${s.rate} (its rates: ${rates.join(', ')})`);
  if (s.rate === undefined && rates.length > 1) fail(`${at}.rate`, `score stage ${show(sc.name)} stores chains at rates ${rates.join(', ')}: name the one to take the ticket from`);
  if (s.rankPrefix || s.keepFrom !== undefined) return;
  const depth = selectorDepth(sc, seen);
  const stages = sc.blocks?.length ?? (depth === null ? null : defaultEvitBlocks(depth).length);
  if (stages === null) return;
  const rate = s.rate ?? rates[0];
  const survivors = evitSurvivors(n, rate, stages);
  const ks = s.k !== undefined ? [s.k] : (Array.isArray(s.keep) ? s.keep : s.keep === undefined ? [] : [s.keep]).map((keep) => kFromFraction(keep, n));
  const off = ks.find((k) => k !== survivors);
  if (off !== undefined) {
    fail(`${at}.${s.k !== undefined ? 'k' : 'keep'}`, `k = ${off} is not an EViT ticket: the rate-${rate} chain of ${show(sc.name)} keeps ${survivors} of ${n} patches. `
      + 'Use keepFrom "evit-rate", score at the rate whose chain keeps what you want (rate: [0.9, 0.8, 0.7] scores several in one pass), or set rankPrefix: true to take a prefix of this chain\'s rank');
  }
}

function checkScore(p: Pipeline, s: ScoreStage, at: string, seen: Map<string, Stage>, fail: Fail): void {
  checkSources(p, s.sources, at, fail);
  if (typeof s.selector === 'string') {
    const t = seen.get(s.selector);
    if (t?.kind !== 'train') fail(`${at}.selector`, `no earlier train stage named ${show(s.selector)} (or give {"checkpoint": …})`);
    if (t.keep) fail(`${at}.selector`, `selector stage ${show(t.name)} has a keep list: a selector is one model (the stage's first seed)`);
  }
  const mode = s.mode ?? 'evit';
  if (mode !== 'evit' && (s.rate !== undefined || s.blocks !== undefined)) fail(`${at}.mode`, `rate and blocks apply to mode "evit" only`);
  if (mode !== 'cls-attn' && s.layer !== undefined) fail(`${at}.layer`, `layer applies to mode "cls-attn" only`);
  const v = `${at}.views`;
  try {
    resolveViews(viewsOptions(s.views), { count: typeof s.views === 'number' ? v : `${v}.count`, scale: `${v}.scale`, ratio: `${v}.ratio`, flip: `${v}.flip`, seed: `${v}.seed` });
  } catch (err) {
    if (err instanceof InputError) fail(v, err.message);
    throw err;
  }
}

function checkTrain(s: TrainStage, at: string, seen: Map<string, Stage>, fail: Fail): void {
  const keeps: (number | null)[] = s.keep ?? [null];
  const refs: [string, string][] = [[`${at}.train`, s.train], ...(s.eval ?? []).map((r, j): [string, string] => [`${at}.eval[${j}]`, r])];
  for (const [path, text] of refs) {
    if (text.includes('{keep}') && !s.keep) fail(path, `${show(text)} uses {keep} but the stage has no keep list`);
    for (const keep of keeps) {
      const ref = parseDatasetRef(substituteKeep(text, keep));
      if (!ref) fail(path, `${show(text)} is not a dataset reference <materialize stage>[@<keep>]/<source>`);
      const m = seen.get(ref.stage);
      if (m?.kind !== 'materialize') fail(path, `no earlier materialize stage named ${show(ref.stage)}`);
      if (!m.sources.includes(ref.source)) fail(path, `materialize stage ${show(m.name)} has no source ${show(ref.source)}`);
      const list = Array.isArray(m.keep);
      if (list && ref.keep === null) fail(path, `stage ${show(m.name)} has several keep values: write ${m.name}@<keep>/${ref.source}`);
      if (!list && ref.keep !== null) fail(path, `stage ${show(m.name)} has a single dataset per source: drop @${formatKeep(ref.keep)}`);
      if (list && ref.keep !== null && !(m.keep as number[]).some((k) => formatKeep(k) === formatKeep(ref.keep as number))) {
        fail(path, `stage ${show(m.name)} has no keep ${formatKeep(ref.keep)}; it has ${show(m.keep)}`);
      }
    }
  }
  if (s.epochs === undefined && s.steps === undefined) fail(at, 'give epochs or steps');
}
