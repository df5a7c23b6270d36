/**
 * The experiment's pass rule, stated in the report before any number and then checked:
 * at every kept fraction where the ticket path was run,
 *   (1) ticket − max(controls) > m × s_pooled, where s_pooled is the pooled seed standard deviation
 *       of the cells compared, sqrt(Σ(n_i − 1)·s_i² / Σ(n_i − 1));
 *   (2) ticket − positionOnly > max(m × s_pooled, positionGap)      (when a position-only path is named).
 * The rule holds when every check at every kept fraction holds. With fewer than 2 seeds per cell
 * there is no pooled sd and the rule cannot hold.
 */
import { formatFraction, formatPct as pct, type Cell } from './report.js';
import type { ReportRule } from './types.js';

export const RULE_DEFAULTS = { sdMultiplier: 2, positionGap: 0.05 } as const;

export interface RuleCheck {
  keep: number;
  ticket: number;
  /** The best control (highest mean) and its mean. */
  control: { path: string; mean: number } | null;
  pooledSd: number | null;
  margin: number | null;
  controlsPass: boolean;
  positionOnly: { mean: number; threshold: number; pass: boolean } | null;
}

export interface RuleOutcome {
  held: boolean;
  checks: RuleCheck[];
}

/** sqrt(Σ(n−1)s² / Σ(n−1)); null with no degrees of freedom. */
export function pooledSd(cells: readonly Cell[]): number | null {
  const df = cells.reduce((a, c) => a + c.n - 1, 0);
  if (df <= 0) return null;
  return Math.sqrt(cells.reduce((a, c) => a + (c.n - 1) * c.std ** 2, 0) / df);
}

function checkKeep(rule: ReportRule, cells: readonly Cell[], ticket: Cell): RuleCheck {
  const m = rule.sdMultiplier ?? RULE_DEFAULTS.sdMultiplier;
  const at = (label: string): Cell | undefined => cells.find((c) => c.path === label && c.keep === ticket.keep);
  const controls = rule.controls.map(at).filter((c): c is Cell => c !== undefined);
  const best = controls.reduce<Cell | null>((b, c) => (b === null || c.mean > b.mean ? c : b), null);
  const pooled = pooledSd([ticket, ...controls]);
  const margin = pooled === null ? null : m * pooled;
  const controlsPass = best !== null && controls.length === rule.controls.length && margin !== null && ticket.mean - best.mean > margin;
  const p = rule.positionOnly === undefined ? undefined : at(rule.positionOnly);
  const threshold = Math.max(margin ?? Number.POSITIVE_INFINITY, rule.positionGap ?? RULE_DEFAULTS.positionGap);
  return {
    keep: ticket.keep,
    ticket: ticket.mean,
    control: best && { path: best.path, mean: best.mean },
    pooledSd: pooled,
    margin,
    controlsPass,
    positionOnly: rule.positionOnly === undefined ? null : { mean: p?.mean ?? Number.NaN, threshold, pass: p !== undefined && ticket.mean - p.mean > threshold },
  };
}

export function evaluateRule(rule: ReportRule, cells: readonly Cell[]): RuleOutcome {
  const tickets = cells.filter((c) => c.path === rule.ticket).sort((a, b) => b.keep - a.keep);
  const checks = tickets.map((t) => checkKeep(rule, cells, t));
  const held = checks.length > 0 && checks.every((c) => c.controlsPass && (c.positionOnly === null || c.positionOnly.pass));
  return { held, checks };
}

/** The rule in words: written in the report before the numbers. */
export function ruleStatement(rule: ReportRule): string[] {
  const m = rule.sdMultiplier ?? RULE_DEFAULTS.sdMultiplier;
  const lines = [
    '## Pass rule (fixed before the runs)',
    '',
    `At every kept fraction: **${rule.ticket}** − max(${rule.controls.map((c) => `**${c}**`).join(', ')}) > ${m} × the pooled seed standard deviation of these cells`,
  ];
  if (rule.positionOnly !== undefined) {
    lines.push(`and **${rule.ticket}** − **${rule.positionOnly}** > max(${m} × that pooled sd, ${pct(rule.positionGap ?? RULE_DEFAULTS.positionGap)} points)`);
  }
  lines.push('(means over seeds of the final test accuracy; pooled sd = sqrt(Σ(n−1)s² / Σ(n−1))). The rule holds only if every check holds.', '');
  return lines;
}

/** The checks, one row per kept fraction, and the verdict. */
export function ruleOutcomeMarkdown(rule: ReportRule, outcome: RuleOutcome): string[] {
  const head = ['| kept fraction | ticket | best control | pooled sd | margin | ticket − control | pass |'];
  if (rule.positionOnly !== undefined) head[0] += ' position-only | needed gap | pass |';
  head.push(`|${'---|'.repeat(rule.positionOnly !== undefined ? 10 : 7)}`);
  const rows = outcome.checks.map((c) => {
    const cells = [formatFraction(c.keep), pct(c.ticket), c.control ? `${c.control.path}: ${pct(c.control.mean)}` : '–', pct(c.pooledSd), pct(c.margin),
      c.control ? pct(c.ticket - c.control.mean) : '–', c.controlsPass ? 'yes' : 'no'];
    if (c.positionOnly) cells.push(pct(c.positionOnly.mean), pct(c.positionOnly.threshold), c.positionOnly.pass ? 'yes' : 'no');
    return `| ${cells.join(' | ')} |`;
  });
  return ['## Pass rule: outcome', '', ...head, ...rows, '', `**The rule ${outcome.held ? 'held' : 'did not hold'}.**`, ''];
}
