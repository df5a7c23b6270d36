/**
 * `dlth run --jobs N` (src/pipeline/scheduler.ts): the descriptors declare which stages each stage
 * reads; the scheduler never starts a stage before those finished, runs up to N at once, and stops
 * starting stages after a failure, exiting with the failed stage's code; a pipeline's outputs with
 * `--jobs 2` are byte-identical to `--jobs 1` (same --threads), timings aside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';
import { readyStages, runScheduled, stageDependencies, StageProcessError, type StageCommand } from '../../src/pipeline/scheduler.js';
import { stageDescriptors } from '../../src/pipeline/stages/index.js';
import { tempDir } from '../scaleout/helpers.js';

test('jobs: the descriptors declare what each stage of the quick experiment reads', async () => {
  const loaded = await loadPipeline('pipelines/fashion-mnist-lth-quick.json');
  const deps = stageDependencies(loaded.pipeline.stages, stageDescriptors, loaded.file);
  assert.deepEqual(Object.fromEntries(deps), {
    full: [],
    dense: ['full'],
    evit: ['dense'],
    ticket: ['evit'],
    random: [],
    'student-ticket': ['ticket'],
    'student-random': ['random', 'ticket'],
    report: ['student-ticket', 'student-random', 'dense'],
  });
  assert.deepEqual(readyStages(deps, new Set(), new Set()), ['full', 'random']);
  assert.deepEqual(readyStages(deps, new Set(['full', 'random', 'dense']), new Set(['full', 'random'])), []);
});

/** A stage process that logs its start and end (ms) to `log`, sleeps `ms`, and exits with `code`. */
function fakeCommand(log: string, ms: Record<string, number>, codes: Record<string, number> = {}): (stage: string) => StageCommand {
  const script = `const fs=require('node:fs');const [log,name,ms,code]=process.argv.slice(1);fs.appendFileSync(log,'start '+name+' '+Date.now()+'\\n');
setTimeout(()=>{fs.appendFileSync(log,'end '+name+' '+Date.now()+'\\n');if(+code)process.stderr.write('dlth: error: '+name+' broke\\n');process.exit(+code)},+ms)`;
  return (stage) => ({ args: ['-e', script, log, stage, String(ms[stage] ?? 50), String(codes[stage] ?? 0)], env: process.env });
}

function events(text: string): Map<string, { start: number; end: number }> {
  const out = new Map<string, { start: number; end: number }>();
  for (const line of text.trim().split('\n')) {
    const [what, name, t] = line.split(' ') as [string, string, string];
    out.set(name, { ...(out.get(name) ?? { start: 0, end: 0 }), [what]: Number(t) });
  }
  return out;
}

test('jobs: a stage never starts before the stages it reads finished; up to N run at once', async () => {
  const dir = await tempDir('jobs-order');
  const log = join(dir, 'events');
  await writeFile(log, '');
  const deps = new Map([['a', []], ['b', []], ['c', ['a']], ['d', ['b', 'c']]]);
  const lines: string[] = [];
  await runScheduled({ deps, jobs: 2, command: fakeCommand(log, { a: 300, b: 600 }), log: (m) => lines.push(m) });
  const ev = events(await readFile(log, 'utf8'));
  for (const [name, needs] of deps) for (const n of needs) assert.ok((ev.get(n)?.end ?? Infinity) <= (ev.get(name)?.start ?? 0), `${name} after ${n}`);
  // a and b overlap (2 jobs); c starts while b still runs.
  assert.ok((ev.get('b')?.start ?? Infinity) < (ev.get('a')?.end ?? 0));
  assert.ok((ev.get('c')?.start ?? Infinity) < (ev.get('b')?.end ?? 0));
  assert.ok(lines.some((l) => l.startsWith('[a] started')));
});

test('jobs: a failing stage stops new starts, lets running ones finish, and the run fails with its exit code and error line', async () => {
  const dir = await tempDir('jobs-fail');
  const log = join(dir, 'events');
  await writeFile(log, '');
  const deps = new Map([['a', []], ['b', []], ['c', ['a']]]);
  const lines: string[] = [];
  const run = runScheduled({ deps, jobs: 2, command: fakeCommand(log, { a: 50, b: 500 }, { a: 4 }), log: (m) => lines.push(m) });
  await assert.rejects(run, (err: unknown) => err instanceof StageProcessError && err.exit.code === 4 && err.message === 'dlth: error: a broke');
  const ev = events(await readFile(log, 'utf8'));
  assert.ok(ev.get('b')?.end, 'the running stage finished');
  assert.equal(ev.has('c'), false, 'no stage started after the failure');
  assert.ok(lines.includes('[a] dlth: error: a broke'));
});

/** The trainer's resume state without its timings (seconds, samples per second). */
function withoutTimings(bytes: Buffer): Buffer {
  const timing = new Set(['trainSec', 'evalSec', 'samplesPerSec']);
  return Buffer.from(JSON.stringify(JSON.parse(bytes.toString('utf8')), (k, v: unknown) => (timing.has(k) ? undefined : v)));
}

/** Every file under `dir` (relative path → bytes), timings and locks left out. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (!e.isFile() || e.name === 'timing.jsonl' || e.name.endsWith('.lock')) continue;
    const bytes = await readFile(path);
    out.set(relative(dir, path), e.name === 'state.json' ? withoutTimings(bytes) : bytes);
  }
  return out;
}

const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const source = (split: string, limit: number): Record<string, unknown> => ({ kind: 'idx', dir: join(process.cwd(), 'data/fashion-mnist-mini'), split, classes, limit });

test('jobs: a pipeline run with --jobs 2 writes the same bytes as with --jobs 1', { timeout: 600_000 }, async () => {
  const dir = await tempDir('jobs-bytes');
  const train = { kind: 'train', model: 'vit-micro-p4-28', epochs: 1, batchSize: 100, lr: 0.002, seeds: [0, 1] };
  const pipeline = {
    name: 'jobs-bytes',
    seed: 0,
    sources: { train: source('train', 200), test: source('test', 100) },
    patchify: { imageSize: 28, patchSize: 4, channels: 1, resize: 'none' },
    stages: [
      { kind: 'materialize', name: 'full', policy: 'full', sources: ['train', 'test'] },
      { kind: 'materialize', name: 'random', policy: 'random', keep: [0.5], seed: 1, sources: ['train', 'test'] },
      { ...train, name: 'dense', train: 'full/train', eval: ['full/test'] },
      { ...train, name: 'student', keep: [0.5], train: 'random@{keep}/train', eval: ['random@{keep}/test'] },
      { kind: 'report', name: 'report', paths: [{ label: 'dense', train: 'dense', eval: 'full/test' }, { label: 'random', train: 'student', eval: 'random@{keep}/test' }] },
    ],
  };
  const file = join(dir, 'p.json');
  await writeFile(file, JSON.stringify(pipeline));
  const out = join(dir, 'run');
  const run = (jobs: number): string =>
    execFileSync(process.execPath, ['bin/dlth.js', 'run', file, '--out', out, '--jobs', String(jobs), '--threads', '1', '-q'], { encoding: 'utf8', env: { ...process.env, DLTH_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(run(1), /5 stages \(5 ran, 0 reused\)/);
  await rename(out, join(dir, 'one')); // the same path for both runs: outputs name absolute paths
  assert.match(run(2), /5 stages \(5 ran, 0 reused\)/);
  const [one, two] = [await files(join(dir, 'one')), await files(out)];
  assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort());
  for (const [path, bytes] of one) assert.ok(bytes.equals(two.get(path) as Buffer), `${path} differs`);
  assert.match(run(2), /5 stages \(0 ran, 5 reused\)/);
  assert.ok(readFileSync(join(out, 'reports', 'report', 'report.md'), 'utf8').includes('# jobs-bytes'));
});
