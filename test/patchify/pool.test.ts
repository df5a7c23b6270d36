import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapConcurrent, mapOrdered, range } from '../../src/patchify/pool.js';

test('results come in input order, failures are yielded, concurrency and window are bounded', async () => {
  let running = 0;
  let maxRunning = 0;
  let started = 0;
  let yielded = 0;
  let maxAhead = 0;
  const seen: number[] = [];
  const fn = async (i: number): Promise<number> => {
    started++;
    maxAhead = Math.max(maxAhead, started - yielded);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep((i * 7) % 5);
    running--;
    if (i % 10 === 3) throw new Error(`bad ${i}`);
    return i * 2;
  };
  for await (const r of mapOrdered(range(0, 200), fn, { concurrency: 3, window: 5 })) {
    seen.push(r.index);
    yielded++;
    if (r.ok) assert.equal(r.value, r.index * 2);
    else assert.equal(r.error.message, `bad ${r.index}`);
    assert.equal(r.ok, r.index % 10 !== 3);
  }
  assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i));
  assert.ok(maxRunning <= 3 && maxRunning >= 2, `max running ${maxRunning}`);
  assert.ok(maxAhead <= 5 + 1, `started ahead of the consumer: ${maxAhead}`);
});

test('breaking out stops new work and waits for running calls; indices are pulled lazily', async () => {
  let started = 0;
  let finished = 0;
  const huge = range(0, 1e12); // would never finish if materialised
  for await (const r of mapOrdered(huge, async (i) => { started++; await sleep(1); finished++; return i; }, { concurrency: 2 })) {
    if (r.index === 10) break;
  }
  assert.ok(started <= 11 + 4, `started ${started}`);
  assert.equal(finished, started, 'no call left running after the loop');
});

test('mapConcurrent turns load failures into per-index failures', async () => {
  const source = {
    load: async (i: number) => {
      if (i === 1) throw new Error('unreadable');
      return { kind: 'raw' as const, file: `f#${i}`, image: { width: 1, height: 1, channels: 1 as const, data: new Uint8Array([i]) } };
    },
  };
  const out: string[] = [];
  for await (const r of mapConcurrent(source, [0, 1, 2], async (p) => (p.kind === 'raw' ? p.image.data[0] : -1), { concurrency: 2 })) {
    out.push(r.ok ? `ok ${r.value}` : `fail ${r.index} ${r.error.message}`);
  }
  assert.deepEqual(out, ['ok 0', 'fail 1 unreadable', 'ok 2']);
});
