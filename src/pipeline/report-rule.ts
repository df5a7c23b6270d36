/**
 * The experiment's pass rule, stated in the report before any number and then checked:
 * at every kept fraction where the ticket path was run, with margin = max(m × s_pooled, minGap),
 * where s_pooled is the pooled seed standard deviation of the cells compared,
 * sqrt(Σ(n_i − 1)·s_i² / Σ(n_i − 1)),
 *   (1) ticket − max(controls) > margin (s_pooled of the ticket and control cells);
 *   (2) ticket − positionOnly > max(margin, positionGap)      (when a position-only path is named);
 *   (3) dense − ticket < max(m × s_pooled of the two, minGap)  (when a dense path is named; the
 *       ticket above dense is allowed; dense is its cell at the same kept fraction, else its single cell).
 * Cells hold successful runs only (report.ts `markFailedRuns`). The rule holds when every check at
 * every kept fraction holds. A cell it needs without a successful run, or no pooled sd (fewer than
 * 2 successful runs in every cell compared), leaves a check undecided: `missing` names it, and the
 * verdict is inconclusive (report-verdict.ts).
 */
import { CHANCE_MARGIN, formatFraction, formatPct as pct, type Cell } from './report.js';
import type { ReportRule } from './types.js';

export const RULE_DEFAULTS = { sdMultiplier: 2, positionGap: 0.05, minGap: 0, chanceMargin: CHANCE_MARGIN } as const;

export interface DenseCheck {
  path: string;
  /** The dense cell's kept fraction (1 for a run on every patch). */
  keep: number;
  mean: number;
  pooledSd: number | null;
  margin: number | null;
  /** dense − ticket. */
  gap: number;
  pass: boolean;
}

export interface RuleCheck {
  keep: number;
  k: number;
  /** The ticket cell's mean (NaN without a successful run). */
  ticket: number;
  /** The best control (highest mean) and its mean. */
  control: { path: string; mean: number } | null;
  pooledSd: number | null;
  /** max(m × pooledSd, minGap); null without a pooled sd. */
  margin: number | null;
  controlsPass: boolean;
  positionOnly: { mean: number; threshold: number; pass: boolean } | null;
  dense: DenseCheck | null;
  /** What this kept fraction's checks needed and lacked: cells without a successful run, a pooled sd. */
  missing: string[];
}

export interface RuleOutcome {
  /** Every check at every kept fraction holds (and none lacks a cell). */
  held: boolean;
  checks: RuleCheck[];
  /** Everything any check lacked (the verdict is then inconclusive). */
  missing: string[];
}

/** sqrt(Σ(n−1)s² / Σ(n−1)) over cells with successful runs; null with no degrees of freedom. */
export function pooledSd(cells: readonly Cell[]): number | null {
  const used = cells.filter((c) => c.n > 0);
  const df = used.reduce((a, c) => a + c.n - 1, 0);
  if (df <= 0) return null;
  return Math.sqrt(used.reduce((a, c) => a + (c.n - 1) * c.std ** 2, 0) / df);
}

const at = (keep: number): string => `kept fraction ${formatFraction(keep)}`;

/** The margin of a comparison: max(m × pooled sd, minGap); null without a pooled sd. */
function marginOf(rule: ReportRule, pooled: number | null): number | null {
  return pooled === null ? null : Math.max((rule.sdMultiplier ?? RULE_DEFAULTS.sdMultiplier) * pooled, rule.minGap ?? RULE_DEFAULTS.minGap);
}

/** The dense path's cell for a ticket at `keep`: its cell at that kept fraction, else its only cell. */
function denseCell(cells: readonly Cell[], label: string, keep: number): Cell | undefined {
  const own = cells.filter((c) => c.path === label);
  return own.find((c) => c.keep === keep) ?? (own.length === 1 ? own[0] : undefined);
}

function checkKeep(rule: ReportRule, cells: readonly Cell[], ticket: Cell): RuleCheck {
  const missing: string[] = [];
  const need = (label: string, cell: Cell | undefined, keep = ticket.keep): Cell | undefined => {
    if (cell !== undefined && cell.n > 0) return cell;
    missing.push(`${label} at ${at(keep)}: ${cell === undefined ? 'no runs' : `no successful run (${cell.failed} failed)`}`);
    return undefined;
  };
  const cellAt = (label: string): Cell | undefined => cells.find((c) => c.path === label && c.keep === ticket.keep);
  const t = need(rule.ticket, ticket);
  const controls = rule.controls.map((label) => need(label, cellAt(label))).filter((c): c is Cell => c !== undefined);
  const best = controls.reduce<Cell | null>((b, c) => (b === null || c.mean > b.mean ? c : b), null);
  const pooled = t ? pooledSd([t, ...controls]) : null;
  const margin = marginOf(rule, pooled);
  if (t && controls.length > 0 && pooled === null) missing.push(`a pooled sd of ${rule.ticket} and its controls at ${at(ticket.keep)}: fewer than 2 successful runs in every cell`);
  const controlsPass = t !== undefined && best !== null && controls.length === rule.controls.length && margin !== null && t.mean - best.mean > margin;
  let positionOnly: RuleCheck['positionOnly'] = null;
  if (rule.positionOnly !== undefined) {
    const p = need(rule.positionOnly, cellAt(rule.positionOnly));
    const threshold = Math.max(margin ?? Number.POSITIVE_INFINITY, rule.positionGap ?? RULE_DEFAULTS.positionGap);
    positionOnly = { mean: p?.mean ?? Number.NaN, threshold, pass: t !== undefined && p !== undefined && t.mean - p.mean > threshold };
  }
  let dense: DenseCheck | null = null;
  if (rule.dense !== undefined) {
    const found = denseCell(cells, rule.dense, ticket.keep);
    const d = need(rule.dense, found, found?.keep ?? ticket.keep);
    const dPooled = t && d ? pooledSd([t, d]) : null;
    const dMargin = marginOf(rule, dPooled);
    if (t && d && dPooled === null) missing.push(`a pooled sd of ${rule.ticket} and ${rule.dense} at ${at(ticket.keep)}: fewer than 2 successful runs in both cells`);
    const gap = d && t ? d.mean - t.mean : Number.NaN;
    dense = { path: rule.dense, keep: found?.keep ?? Number.NaN, mean: d?.mean ?? Number.NaN, pooledSd: dPooled, margin: dMargin, gap, pass: dMargin !== null && gap < dMargin };
  }
  return { keep: ticket.keep, k: ticket.k, ticket: t?.mean ?? Number.NaN, control: best && { path: best.path, mean: best.mean }, pooledSd: pooled, margin, controlsPass, positionOnly, dense, missing };
}

/** Checks the rule at every kept fraction the ticket path was run at (its failed runs included). */
export function evaluateRule(rule: ReportRule, cells: readonly Cell[]): RuleOutcome {
  const tickets = cells.filter((c) => c.path === rule.ticket).sort((a, b) => b.keep - a.keep);
  const checks = tickets.map((t) => checkKeep(rule, cells, t));
  const missing = tickets.length === 0 ? [`${rule.ticket}: no runs`] : checks.flatMap((c) => c.missing);
  const passes = (c: RuleCheck): boolean => c.controlsPass && (c.positionOnly?.pass ?? true) && (c.dense?.pass ?? true);
  const held = checks.length > 0 && missing.length === 0 && checks.every(passes);
  return { held, checks, missing };
}

const points = (v: number): string => `${pct(v)} points`;

/** The rule in words: written in the report before the numbers. `maxRuleGap`: the report's recall condition. */
export function ruleStatement(rule: ReportRule, maxRuleGap?: number): string[] {
  const m = rule.sdMultiplier ?? RULE_DEFAULTS.sdMultiplier;
  const minGap = rule.minGap ?? RULE_DEFAULTS.minGap;
  const margin = (of: string): string => (minGap > 0 ? `max(${m} × ${of}, ${points(minGap)})` : `${m} × ${of}`);
  const lines = [
    '## Pass rule (fixed before the runs)',
    '',
    `At every kept fraction: **${rule.ticket}** − max(${rule.controls.map((c) => `**${c}**`).join(', ')}) > ${margin('the pooled seed standard deviation of these cells')}`,
  ];
  if (rule.positionOnly !== undefined) {
    lines.push(`and **${rule.ticket}** − **${rule.positionOnly}** > max(${m} × that pooled sd, ${points(Math.max(minGap, rule.positionGap ?? RULE_DEFAULTS.positionGap))})`);
  }
  if (rule.dense !== undefined) {
    lines.push(`and **${rule.dense}** − **${rule.ticket}** < ${margin('the pooled seed standard deviation of these two cells')} (**${rule.ticket}** above **${rule.dense}** is allowed; **${rule.dense}** is taken at the same kept fraction, or its single cell when it was run at one only)`);
  }
  lines.push('(means over seeds of the final test accuracy; pooled sd = sqrt(Σ(n−1)s² / Σ(n−1))). The rule holds only if every check holds.', '');
  const margin2 = rule.chanceMargin ?? RULE_DEFAULTS.chanceMargin;
  const expected = rule.chanceExpected ?? [];
  lines.push(
    `**Failed runs.** A run whose final test accuracy is at most chance (1 / the number of classes) + ${points(margin2)} is a failed run: listed under *Failed runs*, counted in its cell, not averaged in` +
      (expected.length > 0 ? `; on ${expected.map((e) => `**${e}**`).join(', ')} chance is the expected outcome, so its runs at chance are averaged in and marked "at chance, expected".` : '.'),
    '',
  );
  const validity = [
    ...(rule.validity?.minAccuracy ?? []).map((v) => `- **${v.path}**: mean test accuracy over its successful runs ≥ ${pct(v.min)}% at every kept fraction it was run at;`),
    ...(maxRuleGap === undefined ? [] : [`- every per-patch pixel rule (standard deviation, mean, gradient energy; highest and lowest first) recalls the object within ±${points(maxRuleGap)} of random (k / N) at every k used;`]),
    '- every cell the rule compares has a successful run, and the cells compared have a pooled sd (at least 2 successful runs in one of them).',
  ];
  lines.push('**Validity** (if a condition fails, the verdict is **inconclusive**, naming it and its figure):', '', ...validity, '');
  lines.push('**Verdict**: **supported** if every validity condition holds and every check holds at every kept fraction; **not supported** if the conditions hold and a check fails.', '');
  return lines;
}

/** The checks, one row per kept fraction, and whether the rule held. */
export function ruleOutcomeMarkdown(rule: ReportRule, outcome: RuleOutcome): string[] {
  let head = '| kept fraction | ticket | best control | pooled sd | margin | ticket − control | pass |';
  let cols = 7;
  if (rule.positionOnly !== undefined) {
    head += ' position-only | needed gap | pass |';
    cols += 3;
  }
  if (rule.dense !== undefined) {
    head += ' dense | dense − ticket | margin | pass |';
    cols += 4;
  }
  const rows = outcome.checks.map((c) => {
    const cells = [`${formatFraction(c.keep)} (k=${c.k})`, pct(c.ticket), c.control ? `${c.control.path}: ${pct(c.control.mean)}` : '–', pct(c.pooledSd), pct(c.margin),
      c.control ? pct(c.ticket - c.control.mean) : '–', c.controlsPass ? 'yes' : 'no'];
    if (c.positionOnly) cells.push(pct(c.positionOnly.mean), pct(c.positionOnly.threshold), c.positionOnly.pass ? 'yes' : 'no');
    if (c.dense) cells.push(pct(c.dense.mean), pct(c.dense.gap), pct(c.dense.margin), c.dense.pass ? 'yes' : 'no');
    return `| ${cells.join(' | ')} |`;
  });
  const lacking = outcome.missing.length === 0 ? [] : ['Undecided (each of these makes the verdict inconclusive):', '', ...outcome.missing.map((m) => `- ${m}`), ''];
  return ['## Pass rule: outcome', '', head, `|${'---|'.repeat(cols)}`, ...rows, '', ...lacking, `**The rule ${outcome.held ? 'held' : 'did not hold'}.**`, ''];
}
