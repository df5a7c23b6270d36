/**
 * The experiment report: a table of test accuracy (mean ± std over seeds) per path and kept
 * fraction, and a plot of accuracy against kept fraction, one line per path. A run that ended at
 * chance is a failed run: listed, counted in its cell, not averaged in (`markFailedRuns`).
 */
import { lineChart, PALETTE, type Series } from '../render/chart.js';

export interface RunResult {
  /** Report path label, e.g. "(a) ticket train / ticket test". */
  path: string;
  /** Kept fraction of the training data's tickets (1 for full). */
  keep: number;
  /** Patches per sample of the training data. */
  k: number;
  seed: number;
  accuracy: number;
  /** Chance accuracy of the run's task, 1 / classes (absent: unknown, the run is never failed). */
  chance?: number;
  /** Absent: a successful run. `failed`: at or below chance + margin, not averaged in. `at-chance`: so, on a path where chance is expected, averaged in. */
  status?: RunStatus;
}

export type RunStatus = 'failed' | 'at-chance';

export interface Cell {
  path: string;
  keep: number;
  k: number;
  /** Over the successful runs (NaN when there is none). */
  mean: number;
  std: number;
  /** Successful runs (those at chance on a chance-expected path included). */
  n: number;
  accuracies: number[];
  /** Failed runs of the cell, not in mean, std or n. */
  failed: number;
  /** Runs at chance on a path where chance is expected (in n). */
  atChance: number;
}

/** The default margin over chance at or below which a run is failed. */
export const CHANCE_MARGIN = 0.02;

/**
 * Each run's status: at or below its chance + `margin` it is `failed`, or `at-chance` on a path
 * of `expected` (where chance is the honest outcome, e.g. positions that carry no class
 * information); other runs have no status.
 */
export function markFailedRuns(results: readonly RunResult[], margin = CHANCE_MARGIN, expected: readonly string[] = []): RunResult[] {
  return results.map((r) => {
    const { status: _old, ...run } = r;
    if (run.chance === undefined || run.accuracy > run.chance + margin) return run;
    return { ...run, status: expected.includes(run.path) ? 'at-chance' : 'failed' };
  });
}

/** Sample standard deviation (n−1); 0 for a single value. */
export function std(values: number[]): number {
  if (values.length < 2) return 0;
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
}

export function aggregate(results: RunResult[]): Cell[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = `${r.path}\u0000${r.keep}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const acc = rs.filter((r) => r.status !== 'failed').map((r) => r.accuracy);
    return {
      path: rs[0].path,
      keep: rs[0].keep,
      k: rs[0].k,
      mean: acc.length === 0 ? Number.NaN : acc.reduce((a, b) => a + b, 0) / acc.length,
      std: acc.length === 0 ? Number.NaN : std(acc),
      n: acc.length,
      accuracies: acc,
      failed: rs.length - acc.length,
      atChance: rs.filter((r) => r.status === 'at-chance').length,
    };
  });
}

const pct = (v: number): string => (100 * v).toFixed(2);

/** An accuracy in percent with 2 decimals; – when missing or not finite. */
export const formatPct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : (100 * v).toFixed(2));

/** A kept fraction for display: 37/49 → 0.755. */
export const formatFraction = (keep: number): string => String(Number(keep.toPrecision(3)));

/** A cell as the table shows it: mean ± sd (n = successful runs, then failed and expected-at-chance counts). */
export function formatCell(c: Cell): string {
  const notes = [`n=${c.n}`, ...(c.failed > 0 ? [`${c.failed} failed`] : []), ...(c.atChance > 0 ? [`${c.atChance} at chance, expected`] : [])].join(', ');
  return c.n === 0 ? `– (${notes})` : `${pct(c.mean)} ± ${pct(c.std)} (${notes})`;
}

/** Markdown table: one row per kept fraction, one column per path. */
export function markdownTable(cells: Cell[], paths: string[]): string {
  const keeps = [...new Set(cells.map((c) => c.keep))].sort((a, b) => b - a);
  const lines = [`| kept fraction (k) | ${paths.join(' | ')} |`, `|---|${paths.map(() => '---').join('|')}|`];
  for (const keep of keeps) {
    const row = paths.map((p) => {
      const c = cells.find((x) => x.path === p && x.keep === keep);
      return c ? formatCell(c) : '–';
    });
    const k = cells.find((c) => c.keep === keep)?.k;
    lines.push(`| ${formatFraction(keep)} (k=${k ?? '?'}) | ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** How a path is drawn: paths of one `group` share a colour; `dotted`: evaluated on all patches. */
export interface PathStyle {
  group: string;
  dotted: boolean;
}

/**
 * Accuracy vs kept fraction with seed error bars. Paths sharing a style group (the same training
 * runs evaluated on two sets) share a colour; those evaluated on all patches are dotted, per-epoch
 * random paths (a prime in the label) dashed.
 */
export function accuracyChart(title: string, cells: Cell[], paths: string[], styles: ReadonlyMap<string, PathStyle> = new Map()): string {
  const groups = [...new Set(paths.map((p) => styles.get(p)?.group ?? p))];
  const series: Series[] = paths.map((p) => {
    const cs = cells.filter((c) => c.path === p && c.n > 0).sort((a, b) => a.keep - b.keep);
    const style = styles.get(p);
    return {
      label: p,
      points: cs.map((c): [number, number] => [c.keep, 100 * c.mean]),
      errors: cs.map((c) => 100 * c.std),
      color: PALETTE[groups.indexOf(style?.group ?? p) % PALETTE.length],
      dashed: p.includes("'"),
      dotted: style?.dotted ?? false,
    };
  });
  return lineChart({ title, xLabel: 'kept fraction of patches (training data)', yLabel: 'test accuracy (%)', series, width: 860 });
}
