/**
 * Shard write and read throughput for 224/16 RGB tickets at k = 98 (75 KiB of patches per row),
 * beside pyarrow reading the same files in the same run.
 * Usage: node --import tsx bench/shards.ts [rows=5000] [dir]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset, ticketBatches } from '../src/shards/reader.js';
import { createTicketWriter } from '../src/shards/writer.js';
import type { DatasetMeta, TicketRow } from '../src/shards/types.js';

const rows = Number(process.argv[2] ?? 5000);
const dir = process.argv[3] ?? (await mkdtemp(join(tmpdir(), 'dlth-bench-')));
const K = 98;
const PATCH = 16 * 16 * 3;
const meta: DatasetMeta = {
  format: 'dlth', version: 1, kind: 'tickets', imageSize: [224, 224], patchSize: 16, grid: [14, 14], channels: 3,
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], k: K, keep: 0.5, policy: 'random', seed: 0, selector: null,
  source: { kind: 'bench', fingerprint: 'bench', classes: null }, numClasses: 1000,
};

function pool(): TicketRow[] {
  return Array.from({ length: 16 }, (_, i) => {
    const patches = new Uint8Array(K * PATCH);
    for (let j = 0; j < patches.length; j++) patches[j] = (i * 131 + j * 7) & 255;
    const positions = Uint16Array.from({ length: K }, (_, j) => 2 * j + (i & 1));
    return { id: '', label: i, patches, positions, scores: new Float32Array(K).fill(NaN) };
  });
}

function rate(bytes: number, n: number, sec: number): string {
  return `${(bytes / sec / 1e6).toFixed(0).padStart(6)} MB/s  ${(n / sec).toFixed(0).padStart(7)} rows/s  (${sec.toFixed(2)} s)`;
}

const rowsPool = pool();
const t0 = performance.now();
const writer = await createTicketWriter({ dir, meta, resume: false });
for (let i = 0; i < rows; i++) {
  const r = rowsPool[i % rowsPool.length];
  await writer.write({ ...r, id: `n${String(i).padStart(8, '0')}` });
}
const result = await writer.finalize();
const writeSec = (performance.now() - t0) / 1000;

async function readOnce(verifyHash: boolean): Promise<number> {
  const t = performance.now();
  let n = 0;
  for await (const b of ticketBatches(await openDataset(dir), { verifyHash })) n += b.numRows;
  if (n !== rows) throw new Error(`read ${n} rows`);
  return (performance.now() - t) / 1000;
}
const best = async (v: boolean) => Math.min(await readOnce(v), await readOnce(v), await readOnce(v));
const readSec = await best(false);
const readHashSec = await best(true);

console.log(`dlth shards bench: ${rows} rows of 224/16 RGB tickets, k = ${K}: ${result.shards} shards, ${(result.bytes / 1e6).toFixed(0)} MB (page cache warm)`);
console.log(`  write (sha256, fsync, rename)  ${rate(result.bytes, rows, writeSec)}`);
console.log(`  read  dlth (checks, no hash)   ${rate(result.bytes, rows, readSec)}`);
console.log(`  read  dlth (checks + sha256)   ${rate(result.bytes, rows, readHashSec)}`);
const python = join('.venv', 'bin', 'python');
if (existsSync(python)) {
  const res = spawnSync(python, ['bench/shards_pyarrow.py', dir, '3'], { encoding: 'utf8' });
  if (res.status === 0) {
    const peer = JSON.parse(res.stdout) as { seconds: number; rows: number; pyarrow: string };
    console.log(`  read  pyarrow ${peer.pyarrow} open_stream  ${rate(result.bytes, peer.rows, peer.seconds)}`);
    console.log(`  ratio dlth/pyarrow read: ${(peer.seconds / readSec).toFixed(2)}× (no hash), ${(peer.seconds / readHashSec).toFixed(2)}× (with sha256)`);
  } else console.log(`  pyarrow peer failed: ${res.stderr}`);
} else console.log(`  pyarrow peer skipped: ${python} missing (scripts/setup-python.sh)`);
if (process.argv[3] === undefined) await rm(dir, { recursive: true, force: true });
