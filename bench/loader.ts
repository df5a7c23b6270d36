/**
 * Loader throughput for 224/16 RGB tickets at k = 98 (75 KiB of patches per row), beside pyarrow
 * building the same batches from the same shards (bench/loader_pyarrow.py; needs .venv).
 * Usage: node --import tsx bench/loader.ts [--profile] [rows=4000] [batch=64] [dir] [repeats=7]
 * The dataset is written once with the shard writer (kept in the dir for reruns).
 * `--profile` times the stages of one epoch separately instead (see profile()).
 *
 * Ours and pyarrow are interleaved: each repetition runs one epoch of every loader configuration,
 * then one pyarrow measurement (median of its 3 passes, in one peer process for the whole run),
 * and takes each ratio within the repetition;
 * the table shows medians over repetitions, so load from other processes shifts both sides alike.
 * Each loader is opened once and warmed by one epoch (which reads every shard's sha256 with
 * `verify: 'first'`), so 'sha256 once' rows measure the epochs after it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TicketLoader } from '../src/loader/loader.js';
import type { LoaderOptions } from '../src/loader/options.js';
import { flipGeometry, shouldFlip } from '../src/loader/augment/flip.js';
import { BatchBuffers } from '../src/loader/batch.js';
import { contiguousRows, copyRows, flipRowFrom } from '../src/loader/gather.js';
import { readPlan } from '../src/loader/plan.js';
import { loadShard, ShardSlot } from '../src/loader/resident.js';
import { createTicketWriter } from '../src/shards/writer.js';
import { rowBytes } from '../src/shards/layout.js';
import type { DatasetMeta } from '../src/shards/types.js';

const args = process.argv.slice(2).filter((a) => a !== '--profile');
const rows = Number(args[0] ?? 4000);
const batch = Number(args[1] ?? 64);
const dir = args[2] ?? join(tmpdir(), `dlth-bench-loader-${rows}`);
const repeats = Number(args[3] ?? 7);
const K = 98;
const meta: DatasetMeta = {
  format: 'dlth', version: 1, kind: 'tickets', imageSize: [224, 224], patchSize: 16, grid: [14, 14], channels: 3,
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], k: K, keep: 0.5, policy: 'random', seed: 0, selector: null,
  source: { kind: 'bench', fingerprint: 'bench-loader', classes: null }, numClasses: 1000,
};

async function writeDataset(): Promise<void> {
  // Shards of 32 record batches (≈ 255 MiB), a whole number of batches per shard.
  const batchBytes = 8 * 1024 * 1024;
  const shardBytes = Math.floor(batchBytes / rowBytes(meta)) * 32 * rowBytes(meta);
  const writer = await createTicketWriter({ dir, meta, shardBytes, batchBytes, resume: false });
  const patches = new Uint8Array(K * 768);
  const scores = new Float32Array(K);
  for (let i = 0; i < rows; i++) {
    randomFillSync(patches);
    const positions = Uint16Array.from({ length: K }, (_, j) => 2 * j + (i & 1));
    scores.fill(i / rows);
    await writer.write({ id: `img-${String(i).padStart(7, '0')}`, label: i % 1000, patches, positions, scores });
  }
  await writer.finalize();
}

/** Samples per second of one epoch. */
async function epoch(loader: TicketLoader, e: number): Promise<number> {
  const t = performance.now();
  let samples = 0;
  let check = 0;
  for await (const b of loader.batches(e)) {
    samples += b.size;
    check += b.patches[0]; // touch the batch
  }
  if (check < 0) throw new Error('unreachable');
  return samples / ((performance.now() - t) / 1000);
}

interface PyRun {
  read: number;
  batch: number;
}

const python = join(import.meta.dirname, '..', '.venv/bin/python');

/** pyarrow's samples per second (median of 3 passes in one process), or null without .venv. */
/**
 * pyarrow's side: one `loader_pyarrow.py --serve` process for the whole run, started before our
 * loaders fill their buffers. A process forked later (a spawnSync per repetition, as this bench once
 * did) write-protects those buffers, and the next epoch of a loader that reads into them (sha256 on
 * every read) then faults on every page: 3.4k instead of 13–15k samples/s on 2026-12-07's machine.
 */
class PyarrowPeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor() {
    this.proc = spawn(python, [join(import.meta.dirname, 'loader_pyarrow.py'), dir, String(batch), '3', '--serve']);
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async run(): Promise<PyRun> {
    this.proc.stdin.write('run\n');
    const next = await this.lines.next();
    if (next.done) throw new Error(`loader_pyarrow.py failed: ${this.stderr}`);
    const py = JSON.parse(next.value) as { rows: number; read_seconds: number; batch_seconds: number };
    return { read: py.rows / py.read_seconds, batch: py.rows / py.batch_seconds };
  }

  close(): void {
    this.proc.stdin.end();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The stages of one block-shuffled epoch, each timed on its own over the whole epoch (medians of
 * `repeats`), in µs per row: reading shards into slots (with and without sha256), the order, the
 * flip decisions, copying rows into batches (runs of rows for `none`, row by row for `block`),
 * flipping rows into batches, and whole epochs through the loader (tasks, channel, hand-off).
 */
async function profile(): Promise<void> {
  const loader = await TicketLoader.open([dir], { batchSize: batch, shuffle: 'block', verify: 'first' });
  const flipLoader = await TicketLoader.open([dir], { batchSize: batch, shuffle: 'block', verify: 'first', flip: true });
  const { sources } = loader;
  const maxBytes = Math.max(...sources.shards.map((s) => s.entry.bytes));
  const slots = sources.shards.map(() => ShardSlot.forMeta(sources.meta, sources.maxShardRows, maxBytes));
  const R = K * 768;
  const buf = new BatchBuffers(batch, R, K);
  const flipBuf = new BatchBuffers(batch, R, K, flipGeometry(sources.meta));
  const times = new Map<string, number[]>();
  const time = async (label: string, f: () => unknown): Promise<void> => {
    const t = performance.now();
    await f();
    const us = ((performance.now() - t) * 1000) / sources.rows;
    times.set(label, [...(times.get(label) ?? []), us]);
  };
  const readAll = async (hash: boolean): Promise<void> => {
    for (const [i, ref] of sources.shards.entries()) await loadShard(sources, ref, slots[i], hash);
  };
  for (let rep = 0; rep < repeats; rep++) {
    await time('read + decode into slots', () => readAll(false));
    await time('read + decode + sha256 into slots', () => readAll(true));
    const seq = loader.sequence(rep);
    let plan = readPlan(seq, 0, sources.offsets, batch);
    await time('order + read plan', () => (plan = readPlan(loader.sequence(rep), 0, sources.offsets, batch)));
    const ids = Array.from(plan.rowOf, (row, i) => slots[plan.shardOf[i]].ids[row]);
    let flips = 0;
    await time('flip decisions', () => ids.forEach((id) => (flips += shouldFlip(0, rep, id) ? 1 : 0)));
    await time('copy rows into batches, none order (runs)', () => {
      for (let i = 0, b = 0; i < sources.rows; b = (b + 1) % batch) {
        const s = i < slots[0].rows ? 0 : 1;
        const row = s === 0 ? i : i - slots[0].rows;
        const n = contiguousRows(slots[s], row, Math.min(batch - b, slots[s].rows - row));
        copyRows(slots[s], row, n, buf, 0);
        i += n;
      }
    });
    await time('copy rows into batches, block order', () => {
      for (let i = 0; i < plan.rowOf.length; i++) copyRows(slots[plan.shardOf[i]], plan.rowOf[i], 1, buf, i % batch);
    });
    await time('flip every row into batches, block order', () => {
      const geo = flipGeometry(sources.meta);
      for (let i = 0; i < plan.rowOf.length; i++) flipRowFrom(slots[plan.shardOf[i]], plan.rowOf[i], geo, flipBuf, i % batch);
    });
    await time('whole epoch, block (shards held)', () => epoch(loader, rep + 1));
    await time('whole epoch, block + flip (shards held)', () => epoch(flipLoader, rep + 1));
  }
  console.log(`profile (${dir}), ${sources.rows} rows, µs per row (median of ${repeats}); load average ${load()}`);
  for (const [label, us] of times) console.log(`  ${label.padEnd(46)} ${median(us).toFixed(2).padStart(7)}`);
}

const configs: Array<[string, LoaderOptions]> = [
  ['dlth, shuffle none, sha256 every read', { shuffle: 'none' }],
  ['dlth, shuffle none, sha256 once', { shuffle: 'none', verify: 'first' }],
  ['dlth, shuffle block 2048, sha256 once', { shuffle: 'block', verify: 'first' }],
  ['dlth, block + flip, sha256 once', { shuffle: 'block', verify: 'first', flip: true }],
];

if (!existsSync(join(dir, 'manifest.json'))) {
  console.log(`writing ${rows} rows to ${dir} …`);
  await writeDataset();
}
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
if (process.argv.includes('--profile')) {
  await profile();
  process.exit(0);
}
console.log(`dataset: ${rows} rows × ${((K * 768) / 1024).toFixed(0)} KiB of patches, batch ${batch}, ${dir}`);
console.log(`cpu: ${cpus()[0]?.model ?? '?'} × ${cpus().length}; load average before: ${load()}; ${repeats} repetitions`);
const peer = existsSync(python) ? new PyarrowPeer() : null; // before our loaders: see PyarrowPeer
const loaders = await Promise.all(configs.map(([, o]) => TicketLoader.open([dir], { batchSize: batch, ...o })));
for (const l of loaders) await epoch(l, 0); // warm-up: buffers allocated, sha256 checked once
const ours: number[][] = configs.map(() => []);
const ratios: number[][] = configs.map(() => []);
const py: PyRun[] = [];
for (let rep = 1; rep <= repeats; rep++) {
  for (const [c, l] of loaders.entries()) ours[c].push(await epoch(l, rep));
  if (!peer) continue;
  const p = await peer.run();
  py.push(p);
  for (const c of configs.keys()) ratios[c].push(ours[c][rep - 1] / p.batch);
}
const line = (label: string, v: number, ratio?: number): void =>
  console.log(`${label.padEnd(44)} ${v.toFixed(0).padStart(7)} samples/s  ${((v * K * 768) / 1e6).toFixed(0).padStart(6)} MB/s${ratio === undefined ? '' : `  ${ratio.toFixed(2)}× pyarrow`}`);
for (const [c, [label]] of configs.entries()) line(label, median(ours[c]), py.length ? median(ratios[c]) : undefined);
if (py.length) {
  line('pyarrow, same batches (copy into numpy)', median(py.map((p) => p.batch)));
  line('pyarrow, record batches only (no batching)', median(py.map((p) => p.read)));
} else console.log('pyarrow peer skipped: no .venv (scripts/setup-python.sh)');
console.log(`load average after: ${load()} (medians of ${repeats}; ratios taken within each repetition)`);
peer?.close();
