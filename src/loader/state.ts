/**
 * The resumable state of a loader: a small JSON-able object. Every batch carries the state after
 * it; saving it with a checkpoint and passing it back as `resume` continues with exactly the
 * next batch, without reading the shards whose samples were all consumed. The state names what
 * the order depends on, so a resume with different datasets, shuffle or partition is refused
 * rather than silently continuing a different order. (Batch size and augmentation may change.)
 */
import { InputError, show } from '../util/errors.js';
import { arr, int, obj, str, type Fail } from '../shards/check.js';

export const STATE_VERSION = 1 as const;

export interface LoaderState {
  version: typeof STATE_VERSION;
  /** Manifest fingerprints of the datasets, in loader order. */
  datasets: string[];
  seed: number;
  epoch: number;
  /** Samples of this rank's epoch sequence already yielded. */
  consumed: number;
  rank: number;
  world: number;
  shuffle: string;
  block: number;
  partition: string;
}

/** What the epoch order depends on (everything in the state but epoch and consumed). */
export type OrderKey = Omit<LoaderState, 'version' | 'epoch' | 'consumed'>;

/** Validates a state from untrusted JSON (e.g. a checkpoint file). */
export function parseState(value: unknown, where = 'loader state'): LoaderState {
  const fail: Fail = (message) => {
    throw new InputError(`${where}: ${message}`);
  };
  const keys = ['version', 'datasets', 'seed', 'epoch', 'consumed', 'rank', 'world', 'shuffle', 'block', 'partition'];
  const s = obj(value, '$', fail, { required: keys });
  if (s.version !== STATE_VERSION) fail(`$.version: unknown state version ${show(s.version)} (this loader knows ${STATE_VERSION})`);
  const big = Number.MAX_SAFE_INTEGER;
  return {
    version: STATE_VERSION,
    datasets: arr(s.datasets, '$.datasets', fail, 1, 10_000).map((d, i) => str(d, `$.datasets[${i}]`, fail)),
    seed: int(s.seed, '$.seed', fail, 0, big),
    epoch: int(s.epoch, '$.epoch', fail, 0, big),
    consumed: int(s.consumed, '$.consumed', fail, 0, big),
    rank: int(s.rank, '$.rank', fail, 0, big),
    world: int(s.world, '$.world', fail, 1, big),
    shuffle: str(s.shuffle, '$.shuffle', fail),
    block: int(s.block, '$.block', fail, 1, big),
    partition: str(s.partition, '$.partition', fail),
  };
}

/** Throws an InputError naming the first field where `state` differs from the loader's `key`. */
export function checkStateMatches(state: LoaderState, key: OrderKey): void {
  const fields: Array<keyof OrderKey> = ['datasets', 'seed', 'rank', 'world', 'shuffle', 'block', 'partition'];
  for (const f of fields) {
    if (JSON.stringify(state[f]) !== JSON.stringify(key[f])) {
      throw new InputError(`cannot resume: the saved loader state has ${f} = ${show(state[f])}, this loader has ${show(key[f])}`);
    }
  }
}

export function makeState(key: OrderKey, epoch: number, consumed: number): LoaderState {
  return { version: STATE_VERSION, ...key, datasets: [...key.datasets], epoch, consumed };
}
