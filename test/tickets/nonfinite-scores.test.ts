/**
 * A score dataset holding a NaN or an infinite score is broken (dlth verify rejects it): every
 * reader refuses the batch naming the shard and the row, and `materialize --policy ticket` refuses
 * the dataset whole before writing anything, however many failed samples it tolerates, so its
 * output is never a ticket dataset verify rejects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/shards/reader.js';
import { scoreRows } from '../../src/shards/rows.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { createScoreWriter } from '../../src/shards/writer.js';
import { materialize } from '../../src/tickets/materialize.js';
import { ShardError } from '../../src/util/errors.js';
import { makeMeta, tempDir } from '../shards/helpers.js';
import { runCli } from '../cli/run-cli.js';
import { encodePhoto } from '../patchify/images.js';
import { smallPatchify, syntheticSource } from './source.js';

const source = syntheticSource(12);

/** Scores of `source` (4×4 grid); row `bad` has `value` at patch 2, in its first chain or its second. */
async function scoreDataset(bad: number, value: number, chain: 0 | 1 = 0): Promise<string> {
  const dir = await tempDir('dlth-nan-');
  const base = makeMeta({ kind: 'scores' });
  const rates = chain === 1 ? { rates: [0.9, 0.7], selector: { fingerprint: 'f', model: 'm', mode: 'evit', params: { rate: [0.9, 0.7] } } } : {};
  const meta = { ...base, numClasses: 3, source: { ...base.source, fingerprint: source.fingerprint }, ...rates };
  const w = await createScoreWriter({ dir, meta });
  for (let i = 0; i < source.size; i++) {
    const scores = Float32Array.from({ length: 16 }, (_, j) => ((j * 5 + i) % 16) / 16);
    const rank = Uint16Array.from([...Array(16).keys()].sort((a, b) => scores[b] - scores[a]));
    const other = scores.map((s) => 1 - s);
    if (i === bad) (chain === 0 ? scores : other)[2] = value;
    await w.write({ id: source.ref(i).id, label: i % 3, scores, rank, ...(chain === 1 ? { chains: [{ scores: other, rank: rank.slice().reverse() }] } : {}) });
  }
  await w.finalize();
  return dir;
}

const names = (dir: string, id: string, column: string, value: string) => (e: unknown) =>
  e instanceof ShardError && e.message.startsWith(join(dir, 'shard-00000.arrow')) && e.message.includes(`column ${column}: row "${id}" has ${value} at patch 2; scores must be finite`);

test('reading a score dataset with a NaN, +Inf or -Inf score fails naming the shard and the row, as verify does', async () => {
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const dir = await scoreDataset(7, value);
    const read = async () => {
      for await (const _ of scoreRows(await openDataset(dir))) {
        // reading is the check
      }
    };
    await assert.rejects(read(), names(dir, 'img-0007', 'scores', String(value)));
    await assert.rejects(verifyDataset(dir), ShardError);
  }
  const chained = await scoreDataset(4, Number.NaN, 1);
  await assert.rejects(verifyDataset(chained), names(chained, 'img-0004', 'scores_r0.7', 'NaN'));
});

test('materialize --policy ticket refuses a score dataset with a NaN score whole: nothing written, even with failures tolerated', async () => {
  const scores = await scoreDataset(7, Number.NaN);
  const out = await tempDir('dlth-nan-out-');
  await assert.rejects(
    materialize({ source, patchify: smallPatchify(), policy: 'ticket', keep: 0.25, scores, engine: { out, progress: false, maxFailures: 1000 } }),
    names(scores, 'img-0007', 'scores', 'NaN'),
  );
  assert.equal(existsSync(join(out, 'manifest.json')), false, 'no ticket dataset');
  // the same scores without the NaN give a dataset verify accepts
  const good = await scoreDataset(-1, 0);
  await materialize({ source, patchify: smallPatchify(), policy: 'ticket', keep: 0.25, scores: good, engine: { out, progress: false } });
  await verifyDataset(out);
});

test('dlth materialize --policy ticket --scores <with +Inf> → exit 4, one line naming the shard and the row; nothing written', async () => {
  const scores = await scoreDataset(3, Number.POSITIVE_INFINITY);
  const dir = await tempDir('dlth-nan-cli-');
  writeFileSync(join(dir, 'a.png'), await encodePhoto('png', 32, 32));
  writeFileSync(join(dir, 'list.jsonl'), `${JSON.stringify({ path: 'a.png', label: 0 })}\n`);
  const out = join(dir, 'out');
  const r = await runCli(['materialize', '--source', 'jsonl', '--file', join(dir, 'list.jsonl'), '--image-size', '32', '--patch-size', '8',
    '--policy', 'ticket', '--scores', scores, '--keep', '0.25', '--max-failures', '100', '-o', out, '-q']);
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.lines.length, 1, r.stderr);
  assert.match(r.lines[0], /shard-00000\.arrow: column scores: row "img-0003" has Infinity at patch 2; scores must be finite$/);
  assert.equal(existsSync(join(out, 'manifest.json')), false);
});
