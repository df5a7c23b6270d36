/**
 * A worker part is reused only when its rows sit where they would now (part.json), not merely when
 * its metadata matches: another batch grid (another alignment) is another configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputExistsError } from '../../src/engine/output.js';
import { runSharded } from '../../src/engine/run.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { META, row, SHARD_BYTES, syntheticSource, tempDir } from '../scaleout/helpers.js';

function write(dataset: string, batchSize: number, force = false) {
  return runSharded({
    label: 'test', source: syntheticSource(23), meta: META, createWriter: createTicketWriter,
    load: async (i) => i,
    process: async (batch, w) => {
      for (const d of batch) await w.write(row(d.value));
      return [];
    },
  }, { out: dataset, worker: { index: 1, count: 3 }, batchSize, concurrency: 2, shardBytes: SHARD_BYTES, progress: false, force });
}

test('engine: a worker part of another batch grid is not reused', async () => {
  const root = await tempDir('partid');
  const dataset = join(root, 'ds');
  const rangeOf = async (dir: string): Promise<{ start: number; end: number }> => (JSON.parse(await readFile(join(dir, 'part.json'), 'utf8')) as { range: { start: number; end: number } }).range;
  const first = await write(dataset, 2);
  assert.deepEqual(await rangeOf(first.dir), { start: 8, end: 16 }, '12 batches of 2: worker 1 of 3 owns batches 4–7');
  assert.equal((await write(dataset, 2)).upToDate, true, 'same grid: reused');
  // Batches of 5: worker 1 of 3 owns rows [5, 15): the old part's rows are the wrong ones.
  await assert.rejects(write(dataset, 5), (err: unknown) => err instanceof OutputExistsError);
  const again = await write(dataset, 5, true);
  assert.equal(again.upToDate, false);
  assert.deepEqual(await rangeOf(again.dir), { start: 5, end: 15 });
  await rm(root, { recursive: true, force: true });
});
