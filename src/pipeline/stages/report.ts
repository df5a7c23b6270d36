import { mkdir, readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type { MaterializeStage, ReportRecall, ReportStage, TrainStage } from '../types.js';
import type { StageContext } from '../context.js';
import type { StageDescriptor, StageOutput } from './descriptor.js';
import type { TrainSummary } from '../../trainer/outputs.js';
import { aggregate, accuracyChart, formatFraction, markdownTable, markFailedRuns, type PathStyle, type RunResult } from '../report.js';
import { writeSvgAsPng } from '../../render/raster.js';
import { writeFileAtomic } from '../../util/fsx.js';
import { InputError } from '../../util/errors.js';
import { parseDatasetRef, substituteKeep } from '../refs.js';
import { reportPath } from '../layout.js';
import { trainRuns } from './train.js';
import { materializeTargets } from './materialize.js';
import { evaluateRule, RULE_DEFAULTS, ruleOutcomeMarkdown, ruleStatement } from '../report-rule.js';
import { selectorSection } from '../report-selector.js';
import { checkReportStage } from '../report-check.js';
import { measureReportRecall, recallMarkdown, type RecallOptions } from '../report-recall.js';
import { writeComparisonSheet } from '../../preview/compare.js';
import { decideVerdict, failedRunsMarkdown, minAccuracyChecks, ruleGapCheck, validityMarkdown, verdictLine, type ValidityCheck } from '../report-verdict.js';

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
      const classes = summary.modelConfig?.numClasses;
      const chance = typeof classes === 'number' && classes > 0 ? { chance: 1 / classes } : {};
      results.push({ path: path.label, keep: trainKeep(ctx, stage, keep, k), k, seed, accuracy: ev.final.acc, ...chance });
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

const FILES = { report: 'report.md', chart: 'accuracy.png', results: 'results.json', verdict: 'verdict.json', recallPreview: 'recall-preview.png' } as const;

/** report.md, accuracy.png and results.json in `reports/<stage>`, verdict.json with a rule, recall-preview.png with recall. */
function outputs(_ctx: StageContext, stage: ReportStage): StageOutput[] {
  const files = [FILES.report, FILES.chart, FILES.results, ...(stage.rule ? [FILES.verdict] : []), ...(stage.recall ? [FILES.recallPreview] : [])];
  return files.map((file) => ({ kind: 'file', path: join(reportPath(stage.name), file) }));
}

/** The recall's mask file, resolved against the pipeline file's directory. */
function recallMasks(ctx: StageContext, recall: ReportRecall): string {
  return isAbsolute(recall.masks) ? recall.masks : resolve(ctx.loaded.dir, recall.masks);
}

/** The report's `recall` option with its files resolved: the mask file, the datasets' directories. */
function recallInputs(ctx: StageContext, stage: ReportStage): Omit<RecallOptions, 'ks'> | null {
  const r = stage.recall;
  if (!r) return null;
  const dir = (ref: string): string => {
    const parsed = parseDatasetRef(ref);
    const m = parsed ? ctx.stage(parsed.stage) : undefined;
    if (m?.kind !== 'materialize') throw new InputError(`recall: ${ref} does not name a materialize stage's dataset`, { file: ctx.loaded.file });
    return ctx.datasetDir(ref);
  };
  return {
    masks: recallMasks(ctx, r),
    full: { ref: r.full, dir: dir(r.full) },
    datasets: r.datasets.map((d) => ({ ...d, dir: dir(d.ref) })),
  };
}

/**
 * recall-preview.png: the same test images in every row, one row per recall dataset under the
 * images with every patch, the object's mask outlined (src/preview/compare.ts).
 */
async function recallPreview(inputs: Omit<RecallOptions, 'ks'>, title: string, file: string): Promise<void> {
  await writeComparisonSheet({
    out: file,
    title,
    masks: inputs.masks,
    full: { label: 'every patch', name: inputs.full.ref, dir: inputs.full.dir },
    datasets: inputs.datasets.map((d) => ({ label: d.label, name: d.ref, dir: d.dir })),
  });
}

/** The recall sheet's lines in the previews section. */
function recallPreviewMarkdown(): string[] {
  return [
    'The same test images in every row: on top with every patch, then one row per policy of the recall table; kept patches shown, dropped ones dimmed and hatched, the object\'s mask outlined in orange. Under each image: its class, sample id and the object patches (mask cover ≥ 1/2) kept of its own; after each row\'s label, their sum over the row.',
    '',
    `![the recall datasets on the same test images, object outlined](${FILES.recallPreview})`,
    '',
  ];
}

/** The preview sheets of the pipeline's materialize stages, relative to the run. */
function previewSheets(ctx: StageContext): string[] {
  const stages = ctx.loaded.pipeline.stages.filter((s): s is MaterializeStage => s.kind === 'materialize');
  return stages.flatMap((s) => materializeTargets(ctx, s).flatMap((t) => (t.preview === null ? [] : [t.preview])));
}

/**
 * Writes report.md (verdict, rule, table, checks, validity, recall, failed runs, selector, plot,
 * runs, previews), accuracy.png, results.json, and verdict.json when the stage has a rule.
 */
async function runReport(ctx: StageContext, stage: ReportStage): Promise<Record<string, unknown>> {
  const problems = checkReportStage(stage);
  if (problems.length > 0) throw new InputError(`report stage ${JSON.stringify(stage.name)}: ${problems.join('; ')}`, { file: ctx.loaded.file });
  const dir = join(ctx.out, reportPath(stage.name));
  await mkdir(dir, { recursive: true });
  const rule = stage.rule;
  const margin = rule?.chanceMargin ?? RULE_DEFAULTS.chanceMargin;
  const results = markFailedRuns(await collect(ctx, stage), margin, rule?.chanceExpected ?? []);
  const cells = aggregate(results);
  const labels = [...new Set(stage.paths.map((p) => p.label))]; // one label may gather several train stages (one per keep or seed)
  const title = stage.title ?? ctx.loaded.pipeline.name;
  const recallIn = recallInputs(ctx, stage);
  const recall = recallIn ? await measureReportRecall({ ...recallIn, ks: [...new Set(cells.map((c) => c.k))] }) : null;
  if (recallIn) await recallPreview(recallIn, title, join(dir, FILES.recallPreview));
  const outcome = rule ? evaluateRule(rule, cells) : null;
  const validity: ValidityCheck[] = [
    ...minAccuracyChecks(rule?.validity, cells),
    ...(recall && stage.recall?.maxRuleGap !== undefined ? [ruleGapCheck(recall, stage.recall.maxRuleGap)] : []),
  ];
  const verdict = outcome ? decideVerdict(outcome, validity) : null;
  await writeSvgAsPng(accuracyChart(title, cells, labels, pathStyles(ctx, stage)), join(dir, FILES.chart));
  const md = [
    `# ${title}`,
    '',
    ...(verdict ? [verdictLine(verdict), ''] : []),
    `Pipeline \`${ctx.loaded.pipeline.name}\`. Accuracy (%) on each path's evaluation set (test or validation, as the path names it) after the last epoch, mean ± sample std over seeds; k = patches per training sample.`,
    '',
    ...(rule ? ruleStatement(rule, recall ? stage.recall?.maxRuleGap : undefined) : []),
    '## Accuracy',
    '',
    'Mean ± sample std over the successful runs (n); failed runs (final accuracy at most chance + the margin) are counted, not averaged in.',
    '',
    markdownTable(cells, labels),
    '',
    ...(outcome && rule ? ruleOutcomeMarkdown(rule, outcome) : []),
    ...validityMarkdown(validity),
    ...(recall ? recallMarkdown(recall, stage.recall?.maxRuleGap) : []),
    ...failedRunsMarkdown(results, margin),
    ...(await selectorSection(ctx, stage)),
    `![accuracy vs kept fraction, error bars ± 1 sd over seeds](${FILES.chart})`,
    '',
    '## Runs',
    '',
    '| path | keep | k | seed | accuracy (%) | status |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.path} | ${formatFraction(r.keep)} | ${r.k} | ${r.seed} | ${(100 * r.accuracy).toFixed(2)} | ${r.status ?? 'ok'} |`),
    '',
    '## Ticket previews',
    '',
    ...(recallIn ? recallPreviewMarkdown() : []),
    ...previewSheets(ctx).map((p) => `![${basename(p)}](${relative(dir, join(ctx.out, p))})`),
    '',
  ].join('\n');
  await writeFileAtomic(join(dir, FILES.report), md);
  await writeFileAtomic(join(dir, FILES.results), `${JSON.stringify({ results, cells, ...(outcome ? { rule: { ...rule, ...outcome } } : {}), ...(recall ? { recall } : {}) }, null, 2)}\n`);
  if (verdict && outcome) {
    const json = { ...verdict, rule, checks: outcome.checks, missing: outcome.missing, validity, recall, failedRuns: results.filter((r) => r.status !== undefined) };
    await writeFileAtomic(join(dir, FILES.verdict), `${JSON.stringify(json, null, 2)}\n`);
  }
  return { cells: cells.length, failed: results.filter((r) => r.status === 'failed').length, ...(verdict ? { verdict: verdict.verdict } : {}) };
}

/** A report stage: runs after the merge; its files in `reports/<stage>`, a directory it owns whole. */
export const reportStage: StageDescriptor<ReportStage> = {
  kind: 'report',
  partitioned: false,
  outputs,
  home: (_ctx, stage) => reportPath(stage.name),
  // It reads its paths' train runs (summary.json) and the recall option's datasets; preview sheets are only linked.
  dependsOn: (stage) => {
    const recall = stage.recall ? [stage.recall.full, ...stage.recall.datasets.map((d) => d.ref)] : [];
    return [...new Set([...stage.paths.map((p) => p.train), ...recall.flatMap((ref) => parseDatasetRef(ref)?.stage ?? [])])];
  },
  // The pipeline's name (the default title, and named in report.md), the preview sheets it links, the recall's mask file.
  reads: (ctx, stage) => ({
    pipeline: ctx.loaded.pipeline.name,
    previews: previewSheets(ctx),
    ...(stage.recall ? { masks: recallMasks(ctx, stage.recall) } : {}),
  }),
  run: runReport,
};
