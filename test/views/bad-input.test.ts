/**
 * Bad inputs about views, each one line naming the flag, key or file and the reason: `dlth score`
 * flags (exit 3), `dlth stream --view-index` and datasets whose views differ (exit 3), pipeline
 * `views` on score stages (schema and semantics), and datasets whose rows break the view order
 * (verify, loader and manifest: exit 4 through the CLI, typed errors in the library).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../cli/run-cli.js';
import { tempDir, ticketMeta, ticketRows, ticketViewRows, viewsMeta, writeDataset } from '../loader/helpers.js';
import { validatePipeline } from '../../src/pipeline/validate.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import { verifyDataset } from '../../src/shards/verify.js';
import { openDataset } from '../../src/shards/reader.js';
import { TicketLoader } from '../../src/loader/loader.js';
import { createTicketWriter } from '../../src/shards/writer.js';
import { InputError, ManifestError, PipelineError, ShardError } from '../../src/util/errors.js';

const SOURCE = ['--source', 'idx', '--root', 'data/fashion-mnist-mini', '--split', 'test', '--limit', '4', '--model', 'vit-micro-p4-28'];
const meta4 = { ...ticketMeta({ image: 16, patch: 4, channels: 1, k: 5 }), views: viewsMeta(4) };
let dir = '';

function oneLine(r: CliResult, code: number, message: RegExp): void {
  const context = `exit ${r.code}; stderr:\n${r.stderr}`;
  assert.equal(r.code, code, context);
  assert.equal(r.lines.length, 1, context);
  assert.match(r.lines[0] as string, /^dlth: error: /, context);
  assert.match(r.lines[0] as string, message, context);
}

before(async () => {
  dir = await tempDir('dlth-views-bad-');
  await writeDataset(join(dir, 'k4'), meta4, ticketViewRows(meta4, 12), 2_000);
  const plain = ticketMeta({ image: 16, patch: 4, channels: 1, k: 5 });
  await writeDataset(join(dir, 'k1'), plain, ticketRows(plain, 12), 2_000);
  const other = { ...meta4, views: { ...viewsMeta(4), seed: 1 } };
  await writeDataset(join(dir, 'k4-seed1'), other, ticketViewRows(other, 12), 2_000);
});

test('dlth score: views flags out of range are one line naming the flag (exit 3), before any image is read', async () => {
  const cases: [string[], RegExp][] = [
    [['--views', '65'], /--views is "65", expected an integer in \[1, 64\]$/],
    [['--views', '0'], /--views is "0", expected an integer in \[1, 64\]$/],
    [['--views', '4', '--crop-scale', '0,1'], /--crop-scale is \[0,1\], expected two numbers \(min, max\) in \(0, 1\]$/],
    [['--views', '4', '--crop-scale', '0.9,0.5'], /--crop-scale is \[0\.9,0\.5\]: min 0\.9 > max 0\.5$/],
    [['--views', '4', '--crop-scale', '0.5,1.2'], /--crop-scale is \[0\.5,1\.2\], expected two numbers \(min, max\) in \(0, 1\]$/],
    [['--views', '4', '--crop-ratio', '0,1'], /--crop-ratio is \[0,1\], expected two numbers \(min, max\) > 0$/],
    [['--views', '4', '--crop-ratio', '1.5,0.5'], /--crop-ratio is \[1\.5,0\.5\]: min 1\.5 > max 0\.5$/],
    [['--views', '4', '--view-flip', '2'], /--view-flip is "2", expected a number in \[0, 1\]$/],
    [['--crop-scale', '0.5,1'], /--crop-scale needs --views ≥ 2: view 0 is the plain view, only views 1…K−1 are random crops$/],
  ];
  for (const [flags, message] of cases) oneLine(await runCli(['score', ...SOURCE, '-o', join(dir, 'never'), ...flags]), 3, message);
});

test('dlth stream: a view index the dataset does not hold, and datasets whose views differ, are one line naming the dataset (exit 3)', async () => {
  oneLine(await runCli(['stream', join(dir, 'k4'), '--view-index', '4', '-q']), 3, /k4: view index is 4, but the dataset holds views 0…3$/);
  oneLine(await runCli(['stream', join(dir, 'k1'), '--view-index', '1', '-q']), 3, /k1: view index is 1, but the dataset holds only view 0 \(no views: K = 1\)$/);
  oneLine(await runCli(['stream', join(dir, 'k4'), '--view-index', '64', '-q']), 3, /--view-index is "64", expected an integer in \[0, 63\]$/);
  oneLine(await runCli(['stream', join(dir, 'k4'), join(dir, 'k1'), '-q']), 3, /k1\/manifest\.json: has no views \(K = 1\), but the first dataset \(.*k4\) has K = 4 .*: datasets read together must hold the same views$/);
  oneLine(await runCli(['stream', join(dir, 'k4'), join(dir, 'k4-seed1'), '-q']), 3, /k4-seed1\/manifest\.json: has K = 4 \(.*seed 1\), but the first dataset \(.*\) has K = 4 \(.*seed 0\): datasets read together/);
  const ok = await runCli(['stream', join(dir, 'k4'), '--view-index', '0', '-q']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('pipeline: views on a score stage are checked by the schema and for min > max, naming the key', () => {
  const base = (): Record<string, unknown> => JSON.parse(readFileSync('pipelines/fashion-mnist.json', 'utf8')) as Record<string, unknown>;
  const scoreAt = (p: Record<string, unknown>): number => (p.stages as { kind: string }[]).findIndex((s) => s.kind === 'score');
  const cases: [unknown, string, RegExp][] = [
    [65, 'views', /views/],
    [{ count: 4, scale: [0.9, 0.5] }, 'views', /\.views\.scale is \[0\.9,0\.5\]: min 0\.9 > max 0\.5/],
    [{ count: 4, ratio: [0, 1] }, 'views.ratio[0]', /0/],
    [{ count: 1, flip: 1 }, 'views', /\.views\.flip needs \$\.stages\[\d+\]\.views\.count ≥ 2/],
  ];
  for (const [views, path, message] of cases) {
    const p = base();
    const i = scoreAt(p);
    (p.stages as Record<string, unknown>[])[i].views = views;
    assert.throws(() => validatePipeline(p, 'x.json'), (err: unknown) => {
      assert.ok(err instanceof PipelineError, String(err));
      assert.ok(err.path?.startsWith(`$.stages[${i}].${path.split('.')[0]}`), `${err.path} for ${JSON.stringify(views)}`);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  }
  const p = base() as unknown as Pipeline;
  const i = scoreAt(p as unknown as Record<string, unknown>);
  (p.stages[i] as { views?: unknown }).views = 4;
  assert.doesNotThrow(() => validatePipeline(p, 'x.json'));
});

test('a dataset whose rows break the view order is refused by verify and the loader, naming the shard; shard rows not a multiple of K by the manifest check', async () => {
  // Policy random: verify wants NaN scores.
  const rows = ticketViewRows(meta4, 6).map((r) => ({ ...r, scores: r.scores.fill(Number.NaN) }));
  [rows[5], rows[6]] = [rows[6], rows[5]]; // image 1's view 1 after view 2 (order broken within a shard)
  const bad = join(dir, 'swapped');
  await writeDataset(bad, meta4, rows, 1 << 20);
  await assert.rejects(verifyDataset(bad), (e: unknown) => e instanceof ShardError && /swapped\/shard-00000\.arrow: row 5 has view 2, expected 1: each image's rows are its views 0…3 in order$/.test(e.message));
  const loader = await TicketLoader.open([bad], { viewIndex: 1, shuffle: 'none', batchSize: 8 });
  await assert.rejects(async () => {
    for await (const _ of loader.batches(0)) {
      // reading is the check
    }
  }, (e: unknown) => e instanceof ShardError && /shard-00000\.arrow: row 5 is view 2 of "s00001", expected view 1 of "s00001"/.test(e.message));
  const short = join(dir, 'short');
  const w = await createTicketWriter({ dir: short, meta: meta4, shardBytes: 1 << 20 });
  for (const r of ticketViewRows(meta4, 2).slice(0, 7)) await w.write(r);
  await w.finalize();
  await assert.rejects(openDataset(short), (e: unknown) => e instanceof ManifestError && /\$\.shards\[0\]\.rows: 7 is not a multiple of meta\.views\.count 4/.test(e.message));
  await assert.rejects(async () => {
    const w2 = await createTicketWriter({ dir: join(dir, 'range'), meta: meta4 });
    await w2.write({ ...ticketViewRows(meta4, 1)[0], view: 4 });
  }, (e: unknown) => e instanceof InputError && /view 4, expected an index in \[0, 4\)/.test(e.message));
});
