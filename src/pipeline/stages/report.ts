import { mkdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { MaterializeStage, ReportStage, TrainStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageDescriptor, StageOutput } from './descriptor.js';
import type { TrainSummary } from '../../trainer/outputs.js';
import { aggregate, accuracyChart, formatFraction, markdownTable, type PathStyle, type RunResult } from '../report.js';
import { writeSvgAsPng } from '../../render/raster.js';
import { writeFileAtomic } from '../../util/fsx.js';
import { InputError } from '../../util/errors.js';
import { parseDatasetRef, substituteKeep } from '../refs.js';
import { reportPath } from '../layout.js';
import { trainRuns } from './train.js';
import { materializeTargets } from './materialize.js';
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

const FILES = { report: 'report.md', chart: 'accuracy.png', results: 'results.json' } as const;

/** report.md, accuracy.png and results.json in `reports/<stage>`. */
function outputs(_ctx: StageContext, stage: ReportStage): StageOutput[] {
  return [FILES.report, FILES.chart, FILES.results].map((file) => ({ kind: 'file', path: join(reportPath(stage.name), file) }));
}

/** The preview sheets of the pipeline's materialize stages, relative to the run. */
function previewSheets(ctx: StageContext): string[] {
  const stages = ctx.loaded.pipeline.stages.filter((s): s is MaterializeStage => s.kind === 'materialize');
  return stages.flatMap((s) => materializeTargets(ctx, s).flatMap((t) => (t.preview === null ? [] : [t.preview])));
}

/** Writes report.md (table + plot + previews), accuracy.png and results.json. */
async function runReport(ctx: StageContext, stage: ReportStage): Promise<Record<string, unknown>> {
  const dir = join(ctx.out, reportPath(stage.name));
  await mkdir(dir, { recursive: true });
  const results = await collect(ctx, stage);
  const cells = aggregate(results);
  const labels = [...new Set(stage.paths.map((p) => p.label))]; // one label may gather several train stages (one per keep or seed)
  const title = stage.title ?? ctx.loaded.pipeline.name;
  const outcome = stage.rule ? evaluateRule(stage.rule, cells) : null;
  await writeSvgAsPng(accuracyChart(title, cells, labels, pathStyles(ctx, stage)), join(dir, FILES.chart));
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
    `![accuracy vs kept fraction](${FILES.chart})`,
    '',
    '## Runs',
    '',
    '| path | keep | k | seed | accuracy (%) |',
    '|---|---|---|---|---|',
    ...results.map((r) => `| ${r.path} | ${formatFraction(r.keep)} | ${r.k} | ${r.seed} | ${(100 * r.accuracy).toFixed(2)} |`),
    '',
    '## Ticket previews',
    '',
    ...previewSheets(ctx).map((p) => `![${basename(p)}](${relative(dir, join(ctx.out, p))})`),
    '',
  ].join('\n');
  await writeFileAtomic(join(dir, FILES.report), md);
  await writeFileAtomic(join(dir, FILES.results), `${JSON.stringify({ results, cells, ...(outcome ? { rule: { ...stage.rule, ...outcome } } : {}) }, null, 2)}\n`);
  return { cells: cells.length };
}

/** A report stage: runs after the merge; its files in `reports/<stage>`, a directory it owns whole. */
export const reportStage: StageDescriptor<ReportStage> = {
  kind: 'report',
  partitioned: false,
  outputs,
  home: (_ctx, stage) => reportPath(stage.name),
  // It reads its paths' train runs (summary.json); preview sheets are only linked.
  dependsOn: (stage) => [...new Set(stage.paths.map((p) => p.train))],
  run: runReport,
};
