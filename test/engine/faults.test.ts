/**
 * I/O faults and failures during a real `materialize` (the injectable Fs fails the n-th write-like
 * call, for every n of a run):
 * - the first I/O error wins: an IoError naming the file, never a sample failure it was caught as
 *   nor a later error it caused (was: `endShard() without an open shard`, exit 4, or "1 samples
 *   failed" with the rest of the rows written into shards they do not belong to);
 * - a failed run leaves no temp and no manifest, and no shard file the journal does not list with
 *   its hash: only complete, journaled shards stay, and a rerun reuses them to give a clean run's bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSharded } from '../../src/engine/run.js';
import { hashFile } from '../../src/shards/hashfile.js';
import { JOURNAL_FILE } from '../../src/shards/journal.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { materialize, type MaterializeOptions } from '../../src/tickets/materialize.js';
import { IoError, TooManyFailuresError } from '../../src/util/errors.js';
import { faultFs } from '../shards/faultfs.js';
import { snapshot, tempDir } from '../shards/helpers.js';
import { META, row, syntheticSource as rowSource } from '../scaleout/helpers.js';
import { nested, smallPatchify, syntheticSource, type FlatMaterializeOptions } from '../tickets/source.js';

/** 23 images, 4 shards of 6 rows in batches of 2 (so a fault can land in any flush of any shard). */
function options(out: string, extra: Partial<FlatMaterializeOptions> = {}): MaterializeOptions {
  return nested({ source: syntheticSource(23), patchify: smallPatchify(), policy: 'random', keep: 0.25, seed: 11, out, progress: false, shardBytes: 5_000, batchBytes: 1_500, ...extra });
}

/** Shard files of `dir` that its journal does not list with their current sha256, and temp files. */
async function leftovers(dir: string): Promise<{ unjournaled: string[]; temps: string[]; manifest: boolean }> {
  const names = await readdir(dir);
  const journal = names.includes(JOURNAL_FILE)
    ? (JSON.parse(await readFile(join(dir, JOURNAL_FILE), 'utf8')) as { shards: Record<string, { shard: { file: string; sha256: string } }> }).shards
    : {};
  const listed = new Map(Object.values(journal).map((e) => [e.shard.file, e.shard.sha256]));
  const unjournaled: string[] = [];
  for (const name of names.filter((n) => /^shard-\d+\.arrow$/.test(n))) {
    if (listed.get(name) !== (await hashFile(join(dir, name))).sha256) unjournaled.push(name);
  }
  return { unjournaled, temps: names.filter((n) => n.includes('.tmp')), manifest: names.includes('manifest.json') };
}

test('materialize on a full disk: ENOSPC at any write ends in that IoError naming the file; only complete, journaled shards stay; the rerun gives a clean run\'s bytes', async () => {
  const clean = await tempDir();
  await materialize(options(clean));
  const want = await snapshot(clean);
  const probe = faultFs('EIO', Number.MAX_SAFE_INTEGER);
  await materialize(options(await tempDir(), { fs: probe }));
  const total = probe.state.calls;
  assert.ok(total > 100, `${total} write calls`);
  for (let at = 1; at <= total; at++) {
    const dir = await tempDir();
    await assert.rejects(materialize(options(dir, { fs: faultFs('ENOSPC', at) })), (err: unknown) => {
      assert.ok(err instanceof IoError, `ENOSPC at call ${at} of ${total}: ${String(err)}`);
      assert.equal(err.syscallCode, 'ENOSPC', `at ${at}: ${err.message}`);
      assert.ok(err.file?.startsWith(`${dir}/`), `at ${at}: names a file of the output: ${err.message}`);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
    const left = await leftovers(dir);
    assert.deepEqual([left.manifest, left.temps], [false, []], `no manifest, no temp after ENOSPC at ${at}`);
    assert.deepEqual(left.unjournaled, [], `shard files not in the journal after ENOSPC at ${at} of ${total}`);
    if (at % 4 !== 0) continue;
    await materialize(options(dir, { concurrency: 3 }));
    const got = await snapshot(dir);
    assert.deepEqual([...got.keys()], [...want.keys()], `files after the rerun (ENOSPC at ${at})`);
    for (const [name, bytes] of want) assert.ok(bytes.equals(got.get(name) as Buffer), `${name} after the rerun (ENOSPC at ${at})`);
  }
});

test('a stage that throws mid-shard, and too many failed samples, leave no temp and no shard outside the journal', async () => {
  const dir = await tempDir();
  await assert.rejects(runSharded({
    label: 'test', source: rowSource(23), meta: META, createWriter: createTicketWriter, load: async (i) => i,
    process: async (batch, w) => {
      for (const d of batch) {
        if (d.value === 13) throw new Error('model exploded');
        await w.write(row(d.value));
      }
      return [];
    },
  }, { out: dir, batchSize: 2, concurrency: 2, shardBytes: 84 * 5, progress: false }), /model exploded/);
  const left = await leftovers(dir);
  assert.deepEqual([left.unjournaled, left.temps, left.manifest], [[], [], false]);
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.arrow')).sort(), ['shard-00000.arrow', 'shard-00001.arrow'], 'the two complete shards before the failure stay');
  const failing = await tempDir();
  await assert.rejects(materialize(options(failing, { source: syntheticSource(23, 32, new Set([8, 9, 10])), maxFailures: 2 })), TooManyFailuresError);
  const after = await leftovers(failing);
  assert.deepEqual([after.unjournaled, after.temps, after.manifest], [[], [], false]);
});
