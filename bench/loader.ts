/**
 * Loader throughput for 224/16 RGB tickets at k = 98 (75 KiB of patches per row), beside pyarrow
 * iterating the same shards in the same run (bench/loader_pyarrow.py; needs .venv).
 * Usage: node --import tsx bench/loader.ts [rows=4000] [batch=64] [dir]
 * The dataset is written once with the shard writer (kept in the dir for reruns).
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TicketLoader, type LoaderOptions } from '../src/loader/index.js';
import { createTicketWriter } from '../src/shards/writer.js';
import { rowBytes } from '../src/shards/layout.js';
import type { DatasetMeta } from '../src/shards/types.js';

const rows = Number(process.argv[2] ?? 4000);
const batch = Number(process.argv[3] ?? 64);
const dir = process.argv[4] ?? join(tmpdir(), `dlth-bench-loader-${rows}`);
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

interface Run {
  seconds: number;
  samples: number;
}

async function epoch(loader: TicketLoader, e: number): Promise<Run> {
  const t = performance.now();
  let samples = 0;
  let check = 0;
  for await (const b of loader.batches(e)) {
    samples += b.size;
    check += b.patches[0]; // touch the batch
  }
  if (check < 0) throw new Error('unreachable');
  return { seconds: (performance.now() - t) / 1000, samples };
}

async function best(options: LoaderOptions, label: string, repeats = 3): Promise<number> {
  const loader = await TicketLoader.open([dir], { batchSize: batch, ...options });
  let top = Infinity;
  let samples = 0;
  for (let e = 0; e < repeats; e++) {
    const r = await epoch(loader, e);
    top = Math.min(top, r.seconds);
    samples = r.samples;
  }
  const mb = (samples * K * 768) / top / 1e6;
  console.log(`${label.padEnd(44)} ${(samples / top).toFixed(0).padStart(7)} samples/s  ${mb.toFixed(0).padStart(6)} MB/s of patches`);
  return samples / top;
}

if (!existsSync(join(dir, 'manifest.json'))) {
  console.log(`writing ${rows} rows to ${dir} …`);
  await writeDataset();
}
console.log(`dataset: ${rows} rows × ${((K * 768) / 1024).toFixed(0)} KiB of patches, batch ${batch}, ${dir}`);
const ours = {
  noneHash: await best({ shuffle: 'none' }, 'dlth loader, shuffle none, sha256 every read'),
  none: await best({ shuffle: 'none', verify: 'first' }, 'dlth loader, shuffle none, sha256 once'),
  block: await best({ shuffle: 'block', verify: 'first' }, 'dlth loader, shuffle block 2048, sha256 once'),
  flip: await best({ shuffle: 'block', verify: 'first', flip: true }, 'dlth loader, block + flip, sha256 once'),
};

const python = join(import.meta.dirname, '..', '.venv/bin/python');
if (!existsSync(python)) {
  console.log('pyarrow peer skipped: no .venv (scripts/setup-python.sh)');
} else {
  const r = spawnSync(python, [join(import.meta.dirname, 'loader_pyarrow.py'), dir, String(batch), '3'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`loader_pyarrow.py failed: ${r.stderr}`);
  const py = JSON.parse(r.stdout) as { rows: number; read_seconds: number; batch_seconds: number };
  const pyBatch = py.rows / py.batch_seconds;
  const pyRead = py.rows / py.read_seconds;
  const line = (label: string, v: number): void =>
    console.log(`${label.padEnd(44)} ${v.toFixed(0).padStart(7)} samples/s  ${((v * K * 768) / 1e6).toFixed(0).padStart(6)} MB/s of patches`);
  line('pyarrow, same batches (copy into numpy)', pyBatch);
  line('pyarrow, record batches only (no batching)', pyRead);
  console.log(`ratio dlth/pyarrow (same batches): none+sha256 ${(ours.noneHash / pyBatch).toFixed(2)}×, none ${(ours.none / pyBatch).toFixed(2)}×, block ${(ours.block / pyBatch).toFixed(2)}×, block+flip ${(ours.flip / pyBatch).toFixed(2)}×`);
}
