/**
 * True EViT tickets at several rates in one pass: a score dataset scored with rate [0.9, 0.8, 0.7]
 * stores each rate's chain; the tickets materialized from it at each rate are byte for byte the
 * tickets of a single-rate run at that rate, and equal that chain's survivors. A k other than the
 * survivor count (a prefix of the rank) is refused unless asked for, and then recorded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.js';
import { variantConfig } from '../../src/model/configs.js';
import { ViT } from '../../src/model/vit.js';
import { resolvePatchifyConfig } from '../../src/patchify/config.js';
import { scoreSource } from '../../src/scoring/score.js';
import type { LoadedSelector } from '../../src/scoring/selector.js';
import { evitKeepCounts } from '../../src/model/evit-counts.js';
import { checkMeta } from '../../src/shards/meta.js';
import { openDataset } from '../../src/shards/reader.js';
import { scoreRows, ticketRows } from '../../src/shards/rows.js';
import type { DatasetMeta, ScoreRow, TicketRow } from '../../src/shards/types.js';
import { openSource } from '../../src/sources/open.js';
import type { Source } from '../../src/sources/types.js';
import { materialize } from '../../src/tickets/materialize.js';
import { runDlth } from '../reliability/helpers.js';
import { tempDir } from '../scaleout/helpers.js';
import { REPO } from '../scaleout/cluster.js';

const RATES = [0.9, 0.8, 0.7];
const MINI = join(REPO, 'data', 'fashion-mnist-mini');
const patchify = resolvePatchifyConfig({ imageSize: [28, 28], patchSize: 4, channels: 1, resize: 'none', mean: [0.286], std: [0.353] });
let root: string;
let source: Source;
let selector: LoadedSelector;

before(async () => {
  await initBackend({});
  root = await tempDir('multi-rate');
  source = await openSource({ kind: 'idx', dir: MINI, split: 'test', limit: 48 });
  selector = { vit: ViT.init(variantConfig('vit-micro-p4-28'), 11), fingerprint: 'sha256:multi-rate-test', model: 'vit-micro-p4-28' };
});

after(async () => {
  selector.vit.dispose();
  await rm(root, { recursive: true, force: true });
});

async function all<T>(rows: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

const score = (rate: number | number[], out: string) =>
  scoreSource({ source, patchify, selector, mode: 'evit', params: { rate, blocks: [1, 2, 3] }, engine: { batchSize: 16, out: join(root, out), progress: false } });

const tickets = async (dir: string): Promise<TicketRow[]> => all(ticketRows(await openDataset(dir)));

test('one pass at rates 0.9/0.8/0.7 stores each chain; the ticket at each rate equals a single-rate run\'s, byte for byte', { timeout: 120_000 }, async () => {
  const multi = await score(RATES, 'multi');
  const meta = multi.manifest.meta;
  assert.deepEqual(meta.rates, RATES);
  assert.deepEqual(meta.selector?.params.rate, RATES);
  const multiRows: ScoreRow[] = await all(scoreRows(await openDataset(multi.dir)));
  assert.equal(multiRows.length, 48);
  assert.ok(multiRows.every((r) => r.chains?.length === 2));
  for (const [j, rate] of RATES.entries()) {
    const single = await score(rate, `single-${rate}`);
    assert.equal(single.manifest.meta.rates, undefined, 'one rate: no rates field, one chain');
    const singleRows: ScoreRow[] = await all(scoreRows(await openDataset(single.dir)));
    singleRows.forEach((s, i) => {
      const m = j === 0 ? multiRows[i] : { ...multiRows[i], ...multiRows[i].chains?.[j - 1] };
      assert.deepEqual([m.id, m.rank, m.scores], [s.id, s.rank, s.scores], `rate ${rate}, row ${i}: the stored chain is the single-rate chain`);
    });
    const fromMulti = await materialize({ source, patchify, policy: 'ticket', keepFrom: 'evit-rate', rate, scores: multi.dir, engine: { out: join(root, `t-multi-${rate}`), progress: false } });
    const fromSingle = await materialize({ source, patchify, policy: 'ticket', keepFrom: 'evit-rate', scores: single.dir, engine: { out: join(root, `t-single-${rate}`), progress: false } });
    const survivors = evitKeepCounts(49, rate, 3)[2];
    assert.equal(fromMulti.manifest.meta.k, survivors);
    assert.deepEqual(fromMulti.manifest.meta.evitTicket, { rate, survivors, taken: 'survivors' });
    assert.deepEqual(fromSingle.manifest.meta.evitTicket, { rate, survivors, taken: 'survivors' });
    assert.deepEqual(await tickets(fromMulti.dir), await tickets(fromSingle.dir), `rate ${rate}: same ticket rows`);
    // The ticket is the chain's survivors: the first `survivors` entries of its rank.
    (await tickets(fromMulti.dir)).forEach((t, i) => {
      const rank = j === 0 ? multiRows[i].rank : multiRows[i].chains?.[j - 1].rank;
      assert.deepEqual(t.positions, Uint16Array.from(rank?.slice(0, survivors) ?? []).sort());
    });
  }
});

test('a multi-rate dataset needs a rate it holds; a k that is not the chain\'s survivor count needs rankPrefix and is recorded', { timeout: 60_000 }, async () => {
  const multi = await score(RATES, 'refusals');
  const base = { source, patchify, policy: 'ticket' as const, scores: multi.dir };
  const eng = { progress: false };
  await assert.rejects(materialize({ ...base, keepFrom: 'evit-rate', engine: { ...eng, out: join(root, 'r1') } }), /stores EViT chains at rates 0\.9, 0\.8, 0\.7: choose one/);
  await assert.rejects(materialize({ ...base, keepFrom: 'evit-rate', rate: 0.6, engine: { ...eng, out: join(root, 'r2') } }), /no EViT chain at rate 0\.6 \(it was scored at 0\.9, 0\.8, 0\.7\)/);
  await assert.rejects(materialize({ ...base, keep: 0.5, rate: 0.8, engine: { ...eng, out: join(root, 'r3') } }), /k = 25 is not an EViT ticket: the rate-0\.8 chain keeps 26 patches.*--rank-prefix/);
  await assert.rejects(materialize({ ...base, keepFrom: 'evit-rate', keep: 0.5, rate: 0.8, engine: { ...eng, out: join(root, 'r4') } }), /exactly one of k, keep or keepFrom/);
  await assert.rejects(materialize({ source, patchify, policy: 'random', keep: 0.5, rate: 0.8, engine: { out: join(root, 'r5'), progress: false } }), /rate: only policy ticket/);
  const prefix = await materialize({ ...base, keep: 0.5, rate: 0.8, rankPrefix: true, engine: { ...eng, out: join(root, 'prefix'), progress: false } });
  assert.deepEqual(prefix.manifest.meta.evitTicket, { rate: 0.8, survivors: 26, taken: 'rank-prefix' });
  const rows: ScoreRow[] = await all(scoreRows(await openDataset(multi.dir)));
  (await tickets(prefix.dir)).forEach((t, i) => assert.deepEqual(t.positions, Uint16Array.from(rows[i].chains?.[0].rank.slice(0, 25) ?? []).sort()));
});

test('metadata: rates must match the selector\'s recorded rates and belong to an evit score dataset', () => {
  const meta: DatasetMeta = {
    format: 'dlth', version: 1, kind: 'scores', imageSize: [28, 28], patchSize: 4, grid: [7, 7], channels: 1, mean: [0.5], std: [0.5], k: 49, keep: 1,
    policy: null, seed: null, numClasses: null, rates: [0.9, 0.7],
    selector: { fingerprint: 'sha256:x', model: 'vit-micro-p4-28', mode: 'evit', params: { rate: [0.9, 0.7], blocks: [1, 2, 3] } },
    source: { kind: 'idx', fingerprint: 'sha256:y', classes: null },
  };
  const fail = (m: string): never => {
    throw new Error(m);
  };
  assert.doesNotThrow(() => checkMeta(meta, '$.meta', fail));
  assert.throws(() => checkMeta({ ...meta, rates: [0.9, 0.8] }, '$.meta', fail), /rates: \[0\.9,0\.8\] differs from selector\.params\.rate/);
  assert.throws(() => checkMeta({ ...meta, rates: [0.9, 0.9], selector: { ...meta.selector!, params: { rate: [0.9, 0.9] } } }, '$.meta', fail), /repeats a rate/);
  assert.throws(() => checkMeta({ ...meta, rates: [0.9] }, '$.meta', fail), /fewer than 2 items|minItems|at least 2/);
  assert.throws(() => checkMeta({ ...meta, selector: { ...meta.selector!, mode: 'cls-attn' } }, '$.meta', fail), /only score datasets of mode evit/);
});

test('CLI: dlth score --rate 0.9,0.8,0.7, then materialize --keep-from evit-rate --rate 0.8; a missing --rate is exit 3 naming the rates', { timeout: 120_000 }, async () => {
  const src = ['--source', 'idx', '--root', MINI, '--split', 'test', '--limit', '24', '--image-size', '28', '--patch-size', '4', '--channels', '1', '--resize', 'none'];
  const scores = join(root, 'cli-scores');
  const s = await runDlth(['score', ...src, '--model', 'vit-micro-p4-28', '--rate', '0.9,0.8,0.7', '--out', scores, '-q']);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /rate=0\.9,0\.8,0\.7/);
  const missing = await runDlth(['materialize', ...src, '--policy', 'ticket', '--keep-from', 'evit-rate', '--scores', scores, '--out', join(root, 'cli-t0'), '-q']);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /cli-scores: stores EViT chains at rates 0\.9, 0\.8, 0\.7: choose one \(--rate/);
  assert.equal(missing.stderr.trim().split('\n').length, 1, 'one line');
  const ok = await runDlth(['materialize', ...src, '--policy', 'ticket', '--keep-from', 'evit-rate', '--rate', '0.8', '--scores', scores, '--out', join(root, 'cli-t1'), '-q']);
  assert.equal(ok.code, 0, ok.stderr);
  const ds = await openDataset(join(root, 'cli-t1'));
  assert.deepEqual([ds.meta.k, ds.meta.evitTicket], [26, { rate: 0.8, survivors: 26, taken: 'survivors' }]);
  const badFlag = await runDlth(['materialize', ...src, '--policy', 'ticket', '--keep-from', 'fraction', '--scores', scores, '--out', join(root, 'cli-t2'), '-q']);
  assert.equal(badFlag.code, 2, badFlag.stderr);
});

test('pipeline: one score stage with rate [0.9, 0.8, 0.7]; materialize stages take each rate\'s ticket', { timeout: 120_000 }, async () => {
  const { writeFile } = await import('node:fs/promises');
  const file = join(root, 'multi-rate.json');
  const idx = (split: string, limit: number) => ({ kind: 'idx', dir: MINI, split, limit });
  await writeFile(file, JSON.stringify({
    name: 'multi-rate', seed: 0, sources: { train: idx('train', 40), test: idx('test', 24) },
    patchify: { imageSize: 28, patchSize: 4, channels: 1, resize: 'none' },
    stages: [
      { kind: 'score', name: 'evit', selector: { init: 'random', model: 'vit-micro-p4-28', seed: 0 }, sources: ['train', 'test'], rate: RATES, blocks: [1, 2, 3] },
      { kind: 'materialize', name: 'ticket-r90', policy: 'ticket', scores: 'evit', rate: 0.9, keepFrom: 'evit-rate', sources: ['test'], preview: false },
      { kind: 'materialize', name: 'ticket-r70', policy: 'ticket', scores: 'evit', rate: 0.7, k: 18, sources: ['train', 'test'], preview: false },
      { kind: 'materialize', name: 'prefix-r70', policy: 'ticket', scores: 'evit', rate: 0.7, keep: 0.5, rankPrefix: true, sources: ['test'], preview: false },
    ],
  }));
  const out = join(root, 'pipeline-out');
  const r = await runDlth(['run', file, '--out', out, '-q']);
  assert.equal(r.code, 0, r.stderr);
  const meta = async (rel: string) => (await openDataset(join(out, 'datasets', rel))).meta;
  assert.deepEqual((await openDataset(join(out, 'scores', 'evit', 'test'))).meta.rates, RATES);
  assert.deepEqual([(await meta('ticket-r90/test')).k, (await meta('ticket-r90/test')).evitTicket], [37, { rate: 0.9, survivors: 37, taken: 'survivors' }]);
  assert.deepEqual((await meta('ticket-r70/train')).evitTicket, { rate: 0.7, survivors: 18, taken: 'survivors' });
  assert.deepEqual([(await meta('prefix-r70/test')).k, (await meta('prefix-r70/test')).evitTicket], [25, { rate: 0.7, survivors: 18, taken: 'rank-prefix' }]);
});

test('dlth inspect says which chains a score dataset holds and what a ticket is of its chain', async () => {
  const { describeEvit } = await import('../../src/cli/inspect.js');
  const golden = join(REPO, 'test', 'fixtures', 'golden');
  assert.equal(describeEvit((await openDataset(join(golden, 'scores'))).meta), 'chains r = 0.7 (7 survivors), r = 0.9 (13 survivors), pruning blocks 1,2,3');
  const ticket = (await openDataset(join(golden, 'ticket'))).meta;
  assert.equal(describeEvit(ticket), 'the r = 0.9 chain\'s ticket (its 13 survivors)');
  assert.equal(describeEvit({ ...ticket, k: 8, evitTicket: { rate: 0.7, survivors: 7, taken: 'rank-prefix' } }), 'a prefix of the r = 0.7 chain\'s rank (k = 8; the chain keeps 7): not an EViT ticket');
  assert.equal(describeEvit((await openDataset(join(golden, 'random'))).meta), null);
});
