// Per-kernel cost on the native backend against PyTorch CPU, at the shapes of one vit-micro
// training step (batch 128, 50 tokens, width 64, MLP 256, 4 heads): where the trainer's
// element-wise gap to PyTorch comes from (bench/README.md "Trainer", "Why not 1.0×").
// Both sides run one intra-op thread (TF_NUM_INTRAOP_THREADS=1 is set for this process before
// TensorFlow starts; bench/ops_torch.py calls torch.set_num_threads(1)) and alternate per round.
//   node --import tsx bench/ops.ts [--rounds 5] [--iters 50]
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

process.env.TF_NUM_INTRAOP_THREADS ??= '1';
process.env.TF_NUM_INTEROP_THREADS ??= '1';
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
const tf = await import('@tensorflow/tfjs-core');
const { initBackend } = await import('../src/backend/init.js');

const argv = process.argv.slice(2);
const opt = (flag: string, d: number): number => {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const rounds = opt('--rounds', 5);
const iters = opt('--iters', 50);

await initBackend({ backend: 'tensorflow' });

const T = 128 * 50;
type Case = { name: string; make: () => () => import('@tensorflow/tfjs-core').Tensor; bytes: number };
const r = (shape: number[]): import('@tensorflow/tfjs-core').Tensor => tf.randomNormal(shape, 0, 1, 'float32', 1);
/** The cases, with the bytes each call reads and writes (float32), for an effective GB/s. */
const cases: Case[] = [
  { name: 'add [6400,64]', bytes: 3 * T * 64 * 4, make: () => { const a = r([T, 64]); const b = r([T, 64]); return () => tf.add(a, b); } },
  { name: 'mul [6400,256]', bytes: 3 * T * 256 * 4, make: () => { const a = r([T, 256]); const b = r([T, 256]); return () => tf.mul(a, b); } },
  { name: 'erf [6400,256]', bytes: 2 * T * 256 * 4, make: () => { const a = r([T, 256]); return () => tf.erf(a); } },
  { name: 'softmax [512,50,50]', bytes: 2 * 512 * 2500 * 4, make: () => { const a = r([512, 50, 50]); return () => tf.softmax(a); } },
  { name: 'sum axis 0 [6400,256]', bytes: T * 256 * 4, make: () => { const a = r([T, 256]); return () => tf.sum(a, 0); } },
  { name: 'matmul [6400,64]x[64,192]', bytes: 0, make: () => { const a = r([T, 64]); const b = r([64, 192]); return () => tf.matMul(a, b); } },
  { name: 'batchMatMul [512,50,16]x[512,16,50]', bytes: 0, make: () => { const a = r([512, 50, 16]); const b = r([512, 16, 50]); return () => tf.matMul(a, b); } },
];

function timeOurs(c: Case): number {
  const f = c.make();
  for (let i = 0; i < 5; i++) f().dispose();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    const y = f();
    // tfjs-node runs TensorFlow eagerly and synchronously: the kernel has run when the op returns
    y.dispose();
  }
  return ((performance.now() - t0) * 1000) / iters;
}

function timeTorch(): Record<string, number> {
  const res = spawnSync('.venv/bin/python', ['bench/ops_torch.py', '--iters', String(iters)], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`bench/ops_torch.py failed: ${res.stderr.trim().split('\n').pop()}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

const ours: Record<string, number[]> = {};
const torch: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const c of cases) (ours[c.name] ??= []).push(timeOurs(c));
  for (const [k, v] of Object.entries(timeTorch())) (torch[k] ??= []).push(v);
  process.stderr.write(`round ${round + 1}/${rounds}; load average ${loadavg()[0].toFixed(2)}\n`);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`CPU: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores; one intra-op thread each; median of ${rounds} rounds of ${iters} calls`);
console.log('| kernel | ours µs | PyTorch µs | ours / PyTorch time | ours GB/s | PyTorch GB/s |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const c of cases) {
  const o = median(ours[c.name]);
  const t = median(torch[c.name] ?? [Number.NaN]);
  const gb = (us: number): string => (c.bytes > 0 ? (c.bytes / us / 1000).toFixed(1) : '–');
  console.log(`| ${c.name} | ${o.toFixed(0)} | ${t.toFixed(0)} | ${(o / t).toFixed(2)} | ${gb(o)} | ${gb(t)} |`);
}
