/**
 * Crash safety (issue 8): `dlth run` on a Fashion-MNIST materialize pipeline is SIGKILLed at seeded
 * random moments (mid-decode, mid-shard-write, around manifest writes, between stages), rerun until
 * it completes, and the whole output directory must equal a clean run's byte for byte. SIGINT and
 * SIGTERM stop with exit code 130 and a message saying how to resume; the rerun is identical too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyDataset } from '../../src/shards/verify.js';
import { FIXTURES, listTree, scratch, rng, runDlth, sleep, startDlth, treeDiff, treeSnapshot, waitFor, type Finished } from './helpers.js';

const PIPELINE = join(FIXTURES, 'fmnist-crash.json');
const SEED = Number(process.env.DLTH_CRASH_SEED ?? 8);
const KILLS = Number(process.env.DLTH_CRASH_KILLS ?? 6);
const runArgs = (out: string): string[] => ['run', PIPELINE, '--out', out, '--quiet'];

type Trigger = 'time' | 'shard-write' | 'manifest' | 'between-stages';
const TRIGGERS: readonly Trigger[] = ['time', 'shard-write', 'manifest', 'time', 'between-stages', 'shard-write', 'manifest', 'time'];

const SHARD_TEMP = /(^|\/)\.shard-\d+\.arrow\.tmp-\d+$/;
const MANIFEST_TEMP = /(^|\/)\.manifest\.json\.tmp-\d+$/;
/** A stage's completion marker, or the marker a stage writes when it starts. */
const MARKER = /^\.dlth\/stages\/[^/]+\.json$/;

let clean: Promise<string> | undefined;
/** The uninterrupted reference run (once per file, started by the first test that needs it). */
function cleanRun(): Promise<string> {
  clean ??= (async () => {
    const dir = join(scratch('dlth-clean-'), 'clean');
    const r = await runDlth(runArgs(dir), { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `clean run: ${r.stderr}`);
    return dir;
  })();
  return clean;
}

/** What the poller should wait for, given the files present when the attempt started. */
function predicate(trigger: Trigger, out: string, before: ReadonlySet<string>): () => boolean {
  const fresh = (re: RegExp) => () => listTree(out).some((f) => re.test(f) && !before.has(f));
  switch (trigger) {
    case 'time':
      return () => true;
    case 'shard-write':
      return fresh(SHARD_TEMP);
    case 'manifest': {
      const manifests = fresh(/(^|\/)manifest\.json$/);
      return () => fresh(MANIFEST_TEMP)() || manifests();
    }
    case 'between-stages':
      return fresh(MARKER);
  }
}

/** One attempt: start, wait for "running", a seeded delay, then the trigger; SIGKILL. */
async function killedAttempt(out: string, trigger: Trigger, delayMs: number): Promise<{ killed: boolean; at: string; result: Finished }> {
  const before = new Set(listTree(out));
  const r = startDlth(runArgs(out));
  const started = await waitFor(() => /: running\n/.test(r.stderr()) || /up to date/.test(r.stderr()), r.done);
  let fired = false;
  if (started) {
    await Promise.race([sleep(delayMs), r.done]);
    fired = await waitFor(predicate(trigger, out, before), r.done, 1);
  }
  const at = fired ? describeState(out, before) : 'not fired: the run finished first';
  if (fired) r.child.kill('SIGKILL');
  const result = await r.done;
  return { killed: result.signal === 'SIGKILL', at, result };
}

function describeState(out: string, before: ReadonlySet<string>): string {
  const now = listTree(out).filter((f) => !before.has(f));
  const temps = now.filter((f) => /\.tmp-\d+$/.test(f));
  return `${now.length} new files${temps.length ? `, temps: ${temps.join(' ')}` : ''}`;
}

/** After a kill, every committed manifest must describe a complete, valid dataset. */
async function checkCommitted(out: string): Promise<void> {
  for (const f of listTree(out).filter((p) => /(^|\/)manifest\.json$/.test(p))) {
    const dir = join(out, f.slice(0, -'/manifest.json'.length));
    await verifyDataset(dir);
  }
  for (const f of listTree(out).filter((p) => MARKER.test(p))) JSON.parse(readFileSync(join(out, f), 'utf8'));
}

test('SIGKILL at seeded random moments, rerun until complete: output byte-identical to a clean run', { timeout: 240_000 }, async () => {
  const base = scratch('dlth-crash-');
  const crashed = join(base, 'crashed');
  const reference = cleanRun();
  const rand = rng(SEED);
  const log: string[] = [];
  let kills = 0;
  for (let i = 0; i < KILLS; i++) {
    const trigger = TRIGGERS[i % TRIGGERS.length];
    // Short delays: on a fast, idle machine the whole pipeline takes about a second, and a kill
    // must land before it completes; the triggers (a fresh shard temp, a manifest, a stage
    // marker) spread the kills over the run however fast it is.
    const delay = Math.floor(rand() * (trigger === 'time' ? 200 : 60));
    const a = await killedAttempt(crashed, trigger, delay);
    log.push(`attempt ${i}: ${trigger} after ${delay} ms → ${a.killed ? `killed (${a.at})` : `exit ${a.result.code}: ${a.at}`}`);
    if (a.killed) kills++;
    else assert.equal(a.result.code, 0, `attempt ${i} exited on its own: ${a.result.stderr}`);
    await checkCommitted(crashed);
    if (!a.killed) break;
  }
  let final: Finished | null = null;
  for (let i = 0; i < 3 && final?.code !== 0; i++) final = await runDlth(runArgs(crashed), { timeoutMs: 120_000 });
  assert.equal(final?.code, 0, `the rerun completes: ${final?.stderr}`);
  process.stderr.write(`crash test (seed ${SEED}): ${kills} kills\n  ${log.join('\n  ')}\n`);
  assert.ok(kills >= Math.min(KILLS, 4), `at least 4 kills landed (${kills})`);
  const diff = treeDiff(treeSnapshot(await reference), treeSnapshot(crashed));
  assert.deepEqual(diff, [], `crashed-and-resumed output differs from the clean run:\n${diff.join('\n')}`);
});

/** Sends `signals` (spaced `gapMs` apart) once the first dataset is being written; returns the result. */
async function signalledAttempt(out: string, signals: readonly NodeJS.Signals[], delayMs: number, gapMs = 5): Promise<Finished> {
  const r = startDlth(runArgs(out));
  assert.ok(await waitFor(() => /\[(full|random)\] \w+ .*train/.test(r.stderr()), r.done), `the run started: ${r.stderr()}`);
  await Promise.race([sleep(delayMs), r.done]);
  for (const [i, sig] of signals.entries()) {
    if (i > 0) await sleep(gapMs);
    r.child.kill(sig);
  }
  return r.done;
}

test('SIGINT, SIGTERM, then a double SIGINT: exit 130 with how to resume; the rerun matches a clean run', { timeout: 180_000 }, async () => {
  const out = join(scratch('dlth-signals-'), 'out');
  for (const [signals, delay] of [[['SIGINT'], 150], [['SIGTERM'], 250], [['SIGINT', 'SIGINT'], 100]] as const) {
    const res = await signalledAttempt(out, signals, delay);
    const what = signals.join('+');
    // A second SIGINT that lands in the last instant of the graceful exit (after the handlers are
    // gone) terminates the process by the signal itself: also "exit now", nothing left to write.
    const lateSecond = signals.length === 2 && res.signal === 'SIGINT' && /finished work is kept/.test(res.stderr);
    if (!lateSecond) assert.equal(res.code, 130, `${what}: exit code ${res.code} (signal ${res.signal})\n${res.stderr}`);
    assert.match(res.stderr, new RegExp(`dlth: ${signals[0]}: stopping after the current unit of work \\(press again to exit now\\)`), what);
    if (signals.length === 1) {
      assert.match(res.stderr, new RegExp(`dlth: error: stopped \\(${signals[0]}\\); finished work is kept: rerun the same command to resume`), what);
    } else {
      // The second SIGINT either interrupts the graceful stop, or arrives after it (or is merged
      // with the first by the kernel, as pending signals are): both end in 130 with how to resume.
      assert.match(res.stderr, /dlth: SIGINT again: exiting now; completed shards are kept, rerun the same command to resume|dlth: error: stopped \(SIGINT\); finished work is kept: rerun the same command to resume/, what);
    }
    assert.ok(!listTree(out).includes('.dlth/stages/random.json'), `${what}: the last stage is not marked done`);
    await checkCommitted(out);
  }
  const again = await runDlth(runArgs(out));
  assert.equal(again.code, 0, again.stderr);
  const c = await cleanRun();
  assert.deepEqual(treeDiff(treeSnapshot(c), treeSnapshot(out)), []);
});
