/**
 * Two small async primitives for the loader's producer/consumer tasks (one event loop, no
 * threads): a bounded FIFO channel with error propagation, and a counting pool of reusable items.
 */

type Waiter = () => void;

/** Resolves waiters in FIFO order whenever `notify` is called. */
class Wakeup {
  private waiters: Waiter[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notifyAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** A FIFO of at most `capacity` items. `close()` ends it; `fail(err)` makes `pop` throw. */
export class Channel<T> {
  private readonly items: T[] = [];
  private readonly changed = new Wakeup();
  private closed = false;
  private error: { err: unknown } | null = null;

  constructor(readonly capacity: number) {}

  /** Waits for room; returns false if the channel was closed meanwhile. */
  async push(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.closed) await this.changed.wait();
    if (this.closed) return false;
    this.items.push(item);
    this.changed.notifyAll();
    return true;
  }

  /** The next item, or null once closed and drained. Throws the producer's error. */
  async pop(): Promise<T | null> {
    for (;;) {
      if (this.error) throw this.error.err;
      const item = this.items.shift();
      if (item !== undefined) {
        this.changed.notifyAll();
        return item;
      }
      if (this.closed) return null;
      await this.changed.wait();
    }
  }

  close(): void {
    this.closed = true;
    this.changed.notifyAll();
  }

  fail(err: unknown): void {
    this.error ??= { err };
    this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * A pool of up to `limit` items, starting with `initial` ones and created on demand; `acquire`
 * waits while all are in use, and takes the free item that `score`s highest (the last freed on ties).
 */
export class Pool<T> {
  private readonly free: T[] = [];
  private readonly changed = new Wakeup();
  private readonly all: T[] = [];
  private stopped = false;

  constructor(private readonly make: () => T, readonly limit: number, initial: readonly T[] = []) {
    this.all.push(...initial);
    this.free.push(...initial);
  }

  get allocated(): number {
    return this.all.length;
  }

  /** Every item this pool handed out (to give back to a longer-lived free list). */
  items(): readonly T[] {
    return this.all;
  }

  /** An item, or null if the pool was stopped while waiting. */
  async acquire(score?: (item: T) => number): Promise<T | null> {
    for (;;) {
      if (this.stopped) return null;
      if (this.free.length > 0) return this.take(score);
      if (this.all.length < this.limit) {
        const made = this.make();
        this.all.push(made);
        return made;
      }
      await this.changed.wait();
    }
  }

  private take(score?: (item: T) => number): T {
    let best = this.free.length - 1;
    if (score) {
      for (let i = best - 1, top = score(this.free[best]); i >= 0; i--) {
        const v = score(this.free[i]);
        if (v > top) [best, top] = [i, v];
      }
    }
    return this.free.splice(best, 1)[0];
  }

  release(item: T): void {
    this.free.push(item);
    this.changed.notifyAll();
  }

  stop(): void {
    this.stopped = true;
    this.changed.notifyAll();
  }
}
