import { mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ReportStage, TrainStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageResult } from '../state.js';
import type { TrainSummary } from '../../trainer/outputs.js';
import { aggregate, accuracyChart, formatFraction, markdownTable, type PathStyle, type RunResult } from '../report.js';
import { writeSvgAsPng } from '../../render/raster.js';
import { writeFileAtomic } from '../../util/fsx.js';
import { InputError } from '../../util/errors.js';
import { parseDatasetRef, substituteKeep, formatKeep } from '../refs.js';
import { trainRuns } from './train.js';
import { evaluateRule, ruleOutcomeMarkdown, ruleStatement } from '../report-rule.js';
import { selectorSection } from '../report-selector.js';

/**
 * The kept fraction of a train run's training data: the dataset reference's or materialize stage's
 * keep, else the patches per training sample the run recorded (`k`, a subset's size included) over N.
 */
export function trainKeep(ctx: StageContext, stage: TrainStage, keep: number | null, k: number): number {
  const fraction = k / ((ctx.patchify.imageSize[0] * ctx.patchify.imageSize[1]) / ctx.patchify.patchSize ** 2);
  if (stage.subset !== undefined) return fraction;
  const ref = parseDatasetRef(substituteKeep(stage.train, keep));
  if (!ref) throw new InputError(`bad dataset reference ${stage.train}`, { file: ctx.loaded.file });
  if (ref.keep !== null) return ref.keep;
  const m = ctx.stage(ref.stage);
  if (m.kind !== 'materialize') throw new InputError(`${ref.stage} is not a materialize stage`, { file: ctx.loaded.file });
  if (m.policy === 'full') return 1;
  return typeof m.keep === 'number' ? m.keep : fraction; // k, or keepFrom (k derived from the EViT rate)
}

async function collect(ctx: StageContext, report: ReportStage): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const path of report.paths) {
    const stage = ctx.stage(path.train) as TrainStage;
    for (const { keep, seed, out } of trainRuns(ctx, stage)) {
      const file = join(out, 'summary.json');
      const summary = JSON.parse(await readFile(file, 'utf8')) as TrainSummary;
      const ev = summary.eval[path.eval];
      if (!ev) throw new InputError(`no evaluation ${path.eval} in the summary`, { file });
      const k = summary.datasets.train.k;
      results.push({ path: path.label, keep: trainKeep(ctx, stage, keep, k), k, seed, accuracy: ev.final.acc });
    }
  }
  return results;
}

/** Whether a dataset reference names a dataset of policy full (every patch). */
function isFull(ctx: StageContext, ref: string): boolean {
  const r = parseDatasetRef(ref);
  const m = r ? ctx.stage(r.stage) : undefined;
  return m?.kind === 'materialize' && m.policy === 'full';
}

/**
 * Chart styles: a label's colour group is its first path's training stage (so one set of runs
 * evaluated on tickets and on all patches shares a colour); dotted when a model trained on a subset
 * of the patches is evaluated on all of them.
 */
function pathStyles(ctx: StageContext, report: ReportStage): Map<string, PathStyle> {
  const styles = new Map<string, PathStyle>();
  for (const path of report.paths) {
    if (styles.has(path.label)) continue;
    const stage = ctx.stage(path.train) as TrainStage;
    const sparse = stage.subset !== undefined || !isFull(ctx, substituteKeep(stage.train, stage.keep?.[0] ?? null));
    styles.set(path.label, { group: path.train, dotted: sparse && isFull(ctx, path.eval) });
  }
  return styles;
}

/** Writes report.md (table + plot + previews), accuracy.png and results.json. */
export async function runReport(ctx: StageContext, stage: ReportStage): Promise<StageResult> {
  const dir = join(ctx.out, 'reports', stage.name);
  await mkdir(dir, { recursive: true });
  const results = await collect(ctx, stage);
  const cells = aggregate(results);
  const labels = [...new Set(stage.paths.map((p) => p.label))]; // one label may gather several train stages (one per keep or seed)
  const title = stage.title ?? ctx.loaded.pipeline.name;
  const outcome = stage.rule ? evaluateRule(stage.rule, cells) : null;
  await writeSvgAsPng(accuracyChart(title, cells, labels, pathStyles(ctx, stage)), join(dir, 'accuracy.png'));
  const previews = ctx.loaded.pipeline.stages
    .filter((s) => s.kind === 'materialize' && s.policy !== 'full' && s.preview !== false)
    .flatMap((s) => (s.kind === 'materialize' ? (Array.isArray(s.keep) ? s.keep : [null]).flatMap((k) => s.sources.map((src) => `${s.name}${k === null ? '' : `@${formatKeep(k)}`}-${src}.png`)) : []));
  const md = [
    `# ${title}`,
    '',
    `Pipeline \`${ctx.loaded.pipeline.name}\`. Test accuracy (%) after the last epoch, mean ± sample std over seeds; k = patches per training sample.`,
    '',
    ...(stage.rule ? ruleStatement(stage.rule) : []),
    markdownTable(cells, labels),
    '',
    ...(outcome && stage.rule ? ruleOutcomeMarkdown(stage.rule, outcome) : []),
    ...(await selectorSection(ctx, stage)),
    '![accuracy vs kept fraction](accuracy.png)',
    '',
    '## Runs',
    '',
    '| path | keep | k | seed | accuracy (%) |',
    '|---|---|---|---|---|',
    ...results.map((r) => `| ${r.path} | ${formatFraction(r.keep)} | ${r.k} | ${r.seed} | ${(100 * r.accuracy).toFixed(2)} |`),
    '',
    '## Ticket previews',
    '',
    ...previews.map((p) => `![${p}](${relative(dir, join(ctx.out, 'previews', p))})`),
    '',
  ].join('\n');
  await writeFileAtomic(join(dir, 'report.md'), md);
  await writeFileAtomic(join(dir, 'results.json'), `${JSON.stringify({ results, cells, ...(outcome ? { rule: { ...stage.rule, ...outcome } } : {}) }, null, 2)}\n`);
  const rel = relative(ctx.out, dir);
  return { outputs: [join(rel, 'report.md'), join(rel, 'accuracy.png'), join(rel, 'results.json')], summary: { cells: cells.length } };
}
