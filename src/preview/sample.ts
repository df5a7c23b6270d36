/**
 * Which rows a contact sheet shows. 'first': the first n rows (cheap: reads n rows). 'spread'
 * (the CLI's default): a seeded sample across classes, so a dataset sorted by class does not show
 * one class only. One streaming pass with a small reservoir per class (at most 2·⌈n/C⌉ rows each,
 * C the number of classes; with more classes than tiles, n classes drawn by the seed, one row
 * each), then tiles go round-robin over the classes in class order. Memory: about 2n rows.
 */
import { Rng, hashString } from '../loader/rng.js';
import type { TicketRow } from '../shards/types.js';

export const PreviewSample = { First: 'first', Spread: 'spread' } as const;
export type PreviewSample = (typeof PreviewSample)[keyof typeof PreviewSample];

export interface SampleOptions {
  n: number;
  sample: PreviewSample;
  seed: number;
  /** Classes in the dataset (labels 0..C-1), or null when unknown / unlabelled. */
  numClasses: number | null;
}

interface Kept {
  index: number;
  row: TicketRow;
}

class Reservoirs {
  private readonly kept = new Map<number, Kept[]>();
  private readonly seen = new Map<number, number>();
  constructor(private readonly capacity: number, private readonly allowed: ReadonlySet<number> | null, private readonly rng: Rng) {}

  offer(row: TicketRow, index: number): void {
    const c = row.label ?? -1;
    if (this.allowed && !this.allowed.has(c)) return;
    const seen = (this.seen.get(c) ?? 0) + 1;
    this.seen.set(c, seen);
    const list = this.kept.get(c) ?? [];
    this.kept.set(c, list);
    if (list.length < this.capacity) list.push({ index, row });
    else {
      const j = this.rng.below(seen);
      if (j < this.capacity) list[j] = { index, row };
    }
  }

  /** Round-robin over the classes in class order, each class's rows in dataset order. */
  pick(n: number): TicketRow[] {
    const lists = [...this.kept.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l.sort((a, b) => a.index - b.index));
    const out: TicketRow[] = [];
    for (let round = 0; out.length < n && lists.some((l) => l.length > round); round++) {
      for (const l of lists) if (round < l.length && out.length < n) out.push(l[round].row);
    }
    return out;
  }
}

/** n distinct labels of 0..C-1 drawn by the seed (a partial Fisher–Yates shuffle). */
function drawClasses(numClasses: number, n: number, rng: Rng): Set<number> {
  const labels = Array.from({ length: numClasses }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + rng.below(numClasses - i);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return new Set(labels.slice(0, n));
}

export async function sampleRows(rows: AsyncIterable<TicketRow>, options: SampleOptions): Promise<TicketRow[]> {
  const { n } = options;
  const out: TicketRow[] = [];
  if (options.sample === PreviewSample.First) {
    for await (const row of rows) {
      out.push(row);
      if (out.length >= n) break;
    }
    return out;
  }
  const rng = new Rng(hashString(`dlth-preview:${options.seed}`));
  const classes = Math.max(1, options.numClasses ?? 1);
  const allowed = classes > n ? drawClasses(classes, n, rng) : null;
  const capacity = allowed ? 1 : Math.min(n, 2 * Math.ceil(n / classes));
  const reservoirs = new Reservoirs(capacity, allowed, rng);
  let index = 0;
  for await (const row of rows) reservoirs.offer(row, index++);
  return reservoirs.pick(n);
}
