/**
 * Ordered, bounded concurrent map: the way every stage decodes images. At most `concurrency`
 * calls run at once (p-limit), and at most `window` results (running or finished, not yet taken)
 * exist at a time, so peak memory depends on the window, never on the number of images. Results
 * come out in input order. A failing item does not stop the map: it is yielded as
 * `{ ok: false, index, error }` for the caller to record (errors.jsonl) and count.
 */
import pLimit from 'p-limit';
import { InputError } from '../util/errors.js';
import type { ImagePayload, Source } from '../sources/types.js';

export type MapResult<R> = { ok: true; index: number; value: R } | { ok: false; index: number; error: Error };

export interface MapOptions {
  /** Calls running at once (≥ 1). */
  concurrency: number;
  /** Results in flight or waiting to be taken; default 2 × concurrency (never below concurrency). */
  window?: number;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Maps `fn` over `indices`, yielding results in order with bounded work in flight. */
export async function* mapOrdered<R>(
  indices: Iterable<number>,
  fn: (index: number) => Promise<R>,
  options: MapOptions,
): AsyncGenerator<MapResult<R>, void, undefined> {
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InputError(`concurrency must be a positive integer, got ${concurrency}`);
  const window = Math.max(concurrency, options.window ?? 2 * concurrency);
  const limit = pLimit(concurrency);
  const queue: Promise<MapResult<R> | null>[] = [];
  const it = indices[Symbol.iterator]();
  let stopped = false;
  const fill = (): void => {
    while (!stopped && queue.length < window) {
      const next = it.next();
      if (next.done) return;
      const index = next.value;
      queue.push(
        limit(async (): Promise<MapResult<R> | null> => {
          if (stopped) return null; // the consumer left: skip work not yet started
          try {
            return { ok: true, index, value: await fn(index) };
          } catch (err) {
            return { ok: false, index, error: toError(err) };
          }
        }),
      );
    }
  };
  try {
    fill();
    for (let head = queue.shift(); head; head = queue.shift()) {
      const result = await head;
      fill();
      if (result) yield result;
    }
  } finally {
    // Consumer broke out or threw: start nothing new, and let running calls finish before returning.
    stopped = true;
    await Promise.allSettled(queue);
  }
}

/**
 * Loads each indexed sample of `source` and maps `fn` over it (`mapOrdered` semantics). Load
 * failures (unreadable file, …) are yielded as failures of that index, like failures of `fn`.
 */
export function mapConcurrent<R>(
  source: Pick<Source, 'load'>,
  indices: Iterable<number>,
  fn: (payload: ImagePayload, index: number) => Promise<R>,
  options: MapOptions,
): AsyncGenerator<MapResult<R>, void, undefined> {
  return mapOrdered(indices, async (index) => fn(await source.load(index), index), options);
}

/** Indices start, start + 1, …, end - 1, lazily (no array for millions of samples). */
export function* range(start: number, end: number): Generator<number, void, undefined> {
  for (let i = start; i < end; i++) yield i;
}
