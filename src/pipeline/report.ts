/**
 * The experiment report: a table of test accuracy (mean ± std over seeds) per path and kept
 * fraction, and a plot of accuracy against kept fraction, one line per path.
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
}

export interface Cell {
  path: string;
  keep: number;
  k: number;
  mean: number;
  std: number;
  n: number;
  accuracies: number[];
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
    const acc = rs.map((r) => r.accuracy);
    return {
      path: rs[0].path,
      keep: rs[0].keep,
      k: rs[0].k,
      mean: acc.reduce((a, b) => a + b, 0) / acc.length,
      std: std(acc),
      n: acc.length,
      accuracies: acc,
    };
  });
}

const pct = (v: number): string => (100 * v).toFixed(2);

/** An accuracy in percent with 2 decimals; – when missing or not finite. */
export const formatPct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : (100 * v).toFixed(2));

/** A kept fraction for display: 37/49 → 0.755. */
export const formatFraction = (keep: number): string => String(Number(keep.toPrecision(3)));

/** Markdown table: one row per kept fraction, one column per path. */
export function markdownTable(cells: Cell[], paths: string[]): string {
  const keeps = [...new Set(cells.map((c) => c.keep))].sort((a, b) => b - a);
  const lines = [`| kept fraction (k) | ${paths.join(' | ')} |`, `|---|${paths.map(() => '---').join('|')}|`];
  for (const keep of keeps) {
    const row = paths.map((p) => {
      const c = cells.find((x) => x.path === p && x.keep === keep);
      return c ? `${pct(c.mean)} ± ${pct(c.std)} (n=${c.n})` : '–';
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
    const cs = cells.filter((c) => c.path === p).sort((a, b) => a.keep - b.keep);
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
