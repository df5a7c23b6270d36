/**
 * The report's verdict on its pass rule: "inconclusive" when a validity condition fails (a path's
 * mean accuracy under its minimum, a per-patch pixel rule farther than maxRuleGap from random's
 * recall) or a check lacks a cell (report-rule.ts `missing`), naming each with its figure; else
 * "supported" when every check holds at every kept fraction, "not supported" when one does not.
 */
import { formatFraction, formatPct as pct, type Cell, type RunResult } from './report.js';
import type { RuleCheck, RuleOutcome } from './report-rule.js';
import type { RecallTable } from './report-recall.js';
import type { ReportValidity } from './types.js';

export const Verdict = { Supported: 'supported', NotSupported: 'not supported', Inconclusive: 'inconclusive' } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface ValidityCheck {
  /** The condition in words. */
  condition: string;
  /** The measured figure (accuracy or recall gap, a fraction); null when there is none (no successful run). */
  figure: number | null;
  threshold: number;
  pass: boolean;
  /** The figure against its threshold, in words. */
  detail: string;
}

export interface VerdictResult {
  verdict: Verdict;
  reasons: string[];
}

/** One check per cell of each named path: its mean over successful runs ≥ min. A path without runs fails. */
export function minAccuracyChecks(validity: ReportValidity | undefined, cells: readonly Cell[]): ValidityCheck[] {
  return (validity?.minAccuracy ?? []).flatMap(({ path, min }) => {
    const own = cells.filter((c) => c.path === path).sort((a, b) => b.keep - a.keep);
    const condition = `${path} ≥ ${pct(min)}%`;
    if (own.length === 0) return [{ condition, figure: null, threshold: min, pass: false, detail: `${path}: no runs` }];
    return own.map((c) => {
      const where = own.length > 1 ? ` at kept fraction ${formatFraction(c.keep)}` : '';
      if (c.n === 0) return { condition: `${condition}${where}`, figure: null, threshold: min, pass: false, detail: `${path}${where}: no successful run (${c.failed} failed)` };
      const pass = c.mean >= min;
      return { condition: `${condition}${where}`, figure: c.mean, threshold: min, pass, detail: `${path}${where}: ${pct(c.mean)}% ${pass ? '≥' : '<'} ${pct(min)}% (n=${c.n})` };
    });
  });
}

/** Every per-patch pixel rule within ±maxRuleGap of random at every k of the recall table. */
export function ruleGapCheck(table: RecallTable, maxRuleGap: number): ValidityCheck {
  const g = table.worstRuleGap;
  const condition = `every per-patch pixel rule within ±${pct(maxRuleGap)} points of random's recall at every k`;
  if (g === null) return { condition, figure: null, threshold: maxRuleGap, pass: false, detail: 'no k at which to measure the pixel rules' };
  const pass = g.gap <= maxRuleGap;
  return { condition, figure: g.gap, threshold: maxRuleGap, pass, detail: `largest |pixel rule − random| ${pct(g.gap)} points (${g.rule}, k = ${g.k}) ${pass ? '≤' : '>'} ${pct(maxRuleGap)}` };
}

/** Why a kept fraction's checks fail, in words. */
function failures(c: RuleCheck): string[] {
  const where = `at kept fraction ${formatFraction(c.keep)} (k=${c.k})`;
  const out: string[] = [];
  if (!c.controlsPass && c.control) out.push(`${where}: ticket − ${c.control.path} = ${pct(c.ticket - c.control.mean)} ≤ margin ${pct(c.margin)}`);
  if (c.positionOnly && !c.positionOnly.pass) out.push(`${where}: ticket − position-only = ${pct(c.ticket - c.positionOnly.mean)} ≤ ${pct(c.positionOnly.threshold)}`);
  if (c.dense && !c.dense.pass) out.push(`${where}: ${c.dense.path} − ticket = ${pct(c.dense.gap)} ≥ margin ${pct(c.dense.margin)}`);
  return out;
}

export function decideVerdict(outcome: RuleOutcome, validity: readonly ValidityCheck[]): VerdictResult {
  const invalid = validity.filter((v) => !v.pass).map((v) => `validity: ${v.detail}`);
  const lacking = outcome.missing.map((m) => `undecided: ${m}`);
  if (invalid.length > 0 || lacking.length > 0) return { verdict: Verdict.Inconclusive, reasons: [...invalid, ...lacking] };
  if (outcome.held) {
    return { verdict: Verdict.Supported, reasons: [`every check held at every kept fraction (${outcome.checks.map((c) => `k=${c.k}`).join(', ')}) and every validity condition was met`] };
  }
  return { verdict: Verdict.NotSupported, reasons: outcome.checks.flatMap(failures) };
}

/** The first line of the report. */
export function verdictLine(v: VerdictResult): string {
  return `**Verdict: ${v.verdict} — ${v.reasons.join('; ')}**`;
}

export function validityMarkdown(checks: readonly ValidityCheck[]): string[] {
  if (checks.length === 0) return [];
  return ['## Validity', '', '| condition | figure | threshold | holds |', '|---|---|---|---|',
    ...checks.map((c) => `| ${c.condition} | ${pct(c.figure)} | ${pct(c.threshold)} | ${c.pass ? 'yes' : 'no'} |`), ''];
}

/** Runs at chance: the failed ones (not averaged in) and those on paths where chance is expected. */
export function failedRunsMarkdown(results: readonly RunResult[], margin: number): string[] {
  const at = results.filter((r) => r.status !== undefined);
  const lines = ['## Failed runs', ''];
  if (at.length === 0) return [...lines, `None: every run ended above chance + ${pct(margin)} points.`, ''];
  return [...lines,
    `Runs whose final test accuracy is at most chance + ${pct(margin)} points. Failed runs are not averaged into their cells.`, '',
    '| path | keep | k | seed | accuracy (%) | chance (%) | |', '|---|---|---|---|---|---|---|',
    ...at.map((r) => `| ${r.path} | ${formatFraction(r.keep)} | ${r.k} | ${r.seed} | ${pct(r.accuracy)} | ${pct(r.chance)} | ${r.status === 'failed' ? 'failed, not averaged in' : 'at chance, expected'} |`), ''];
}
