// Training-step throughput: samples/s of the product's training step (src/trainer/step.ts: forward,
// backward, clipping, AdamW update) of vit-micro/mini at 28×28 patch 4, batch 128, with all 49
// tokens and with a 25-token ticket, on the active backend, beside PyTorch CPU
// (bench/train_torch.py, same model, optimizer and batch) in the same run. Ours and PyTorch are
// interleaved over --reps repetitions and the median of each is reported (other load on the
// machine drifts; a ratio from one run is what to compare).
//   node --import tsx bench/train.ts [--backend tensorflow|wasm|cpu] [--reps 5] [--steps 5] [--batch 128]
//                                    [--variant vit-micro-p4-28 …] [--k 49 --k 25] [--no-torch] [--profile]
// --profile: instead, where one step's time goes (tf.profile): kernels per step and time per kernel.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/init.js';
import { parseBackendName } from '../src/backend/options.js';
import { variantConfig } from '../src/model/configs.js';
import { AdamW } from '../src/trainer/adamw.js';
import { buildModel } from '../src/trainer/model.js';
import { ensureGradients } from '../src/trainer/gradients.js';
import { trainStep, type HostBatch, type TrainModel } from '../src/trainer/step.js';

interface Args {
  backend: string | undefined;
  reps: number;
  steps: number;
  batch: number;
  variants: string[];
  ks: number[];
  torch: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const all = (flag: string): string[] => argv.flatMap((a, i) => (a === flag && argv[i + 1] !== undefined ? [argv[i + 1]] : []));
  const one = (flag: string): string | undefined => all(flag).pop();
  const variants = all('--variant');
  const ks = all('--k').map(Number);
  return {
    backend: one('--backend'),
    reps: Number(one('--reps') ?? 5),
    steps: Number(one('--steps') ?? 5),
    batch: Number(one('--batch') ?? 128),
    variants: variants.length > 0 ? variants : ['vit-micro-p4-28', 'vit-mini-p4-28'],
    ks: ks.length > 0 ? ks : [49, 25],
    torch: !argv.includes('--no-torch'),
    profile: argv.includes('--profile'),
  };
}

/** A deterministic batch: random pixels, k sorted random positions per sample, labels 0–9. */
function makeBatch(size: number, k: number, n: number, patchDim: number): HostBatch {
  let s = 12345;
  const rand = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const positions = new Uint16Array(size * k);
  for (let b = 0; b < size; b++) {
    const idx = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5).slice(0, k).sort((x, y) => x - y);
    positions.set(idx, b * k);
  }
  const patches = new Uint8Array(size * k * patchDim).map(() => Math.floor(rand() * 256));
  return { size, k, patches, positions, labels: new Int32Array(size).map((_, i) => i % 10) };
}

const STEP = { labelSmoothing: 0.1, clipNorm: 1 };

/** One config of ours, built once and warmed up; `run(steps)` returns samples/s. */
interface Ours {
  run(steps: number): Promise<number>;
  model: TrainModel;
  opt: AdamW;
  batch: HostBatch;
  dispose(): void;
}

async function oursFor(variant: string, k: number, a: Args): Promise<Ours> {
  const { vit, model } = buildModel(variantConfig(variant), 0);
  const opt = new AdamW(model.params);
  const batch = makeBatch(a.batch, k, vit.grid.numPatches, vit.grid.patchDim);
  for (let i = 0; i < 2; i++) await trainStep(model, opt, batch, 1e-3, STEP);
  return {
    model, opt, batch,
    async run(steps: number): Promise<number> {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await trainStep(model, opt, batch, 1e-3, STEP);
      return (a.batch * steps) / ((performance.now() - t0) / 1000);
    },
    dispose(): void {
      opt.dispose();
      vit.dispose();
    },
  };
}

/** PyTorch samples/s with `threads` intra-op threads (OpenMP collapses when the cores are oversubscribed, so 1 is also measured). */
function torch(variant: string, k: number, a: Args, threads: number): number | string {
  const short = variant.replace(/^vit-/, '').replace(/-p4-28$/, '');
  const args = ['bench/train_torch.py', '--variant', short, '--k', String(k), '--batch', String(a.batch), '--steps', String(a.steps), '--threads', String(threads)];
  const r = spawnSync('.venv/bin/python', args, { encoding: 'utf8' });
  if (r.status !== 0) return `unavailable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
  return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { samples_per_sec: number }).samples_per_sec;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Row {
  label: string;
  ours: number[];
  /** samples/s per thread count, or why not. */
  torch: (number[] | string)[];
}

async function throughput(a: Args, threads: number[]): Promise<Row[]> {
  const configs = a.variants.flatMap((v) => a.ks.map((k) => ({ v, k })));
  const models = [];
  for (const { v, k } of configs) models.push(await oursFor(v, k, a));
  const rows: Row[] = configs.map(({ v, k }) => ({ label: `${v} k=${k}`, ours: [], torch: threads.map(() => []) }));
  try {
    for (let rep = 0; rep < a.reps; rep++) {
      for (const [i, { v, k }] of configs.entries()) {
        rows[i].ours.push(await models[i].run(a.steps));
        if (!a.torch) continue;
        threads.forEach((t, j) => {
          const got = rows[i].torch[j];
          if (typeof got === 'string') return;
          const r = torch(v, k, a, t);
          if (typeof r === 'string') rows[i].torch[j] = r;
          else got.push(r);
        });
      }
      process.stderr.write(`rep ${rep + 1}/${a.reps} done; load average ${loadavg()[0].toFixed(2)}\n`);
    }
  } finally {
    for (const m of models) m.dispose();
  }
  return rows;
}

function printThroughput(rows: Row[], threads: number[], a: Args): void {
  const head = threads.map((t) => `torch ${t}T samples/s`.padStart(20)).join(' ');
  process.stdout.write(`${'config'.padEnd(24)} ${'ours samples/s'.padStart(15)} ${head} ${'ours/best torch'.padStart(16)}\n`);
  for (const r of rows) {
    const mine = median(r.ours);
    const peers = r.torch.map((p) => (typeof p === 'string' ? p : median(p)));
    const nums = peers.filter((p): p is number => typeof p === 'number' && Number.isFinite(p));
    const ratio = nums.length > 0 ? `${(mine / Math.max(...nums)).toFixed(2)}×` : '-';
    const cols = threads.map((_, i) => { const p = a.torch ? peers[i] : 'skipped'; return (typeof p === 'number' ? p.toFixed(1) : p).padStart(20); }).join(' ');
    process.stdout.write(`${r.label.padEnd(24)} ${mine.toFixed(1).padStart(15)} ${cols} ${ratio.padStart(16)}\n`);
  }
}

/** Where one step's time goes: kernels by name (count, summed kernel ms), and the rest (JavaScript, tape, bookkeeping). */
async function profile(a: Args): Promise<void> {
  for (const variant of a.variants) {
    for (const k of a.ks) {
      const m = await oursFor(variant, k, a);
      const walls: number[] = [];
      for (let i = 0; i < 5; i++) walls.push((a.batch * 1000) / (await m.run(1)));
      const wall = median(walls);
      const info = await tf.profile(async () => void (await trainStep(m.model, m.opt, m.batch, 1e-3, STEP)));
      m.dispose();
      const byName = new Map<string, { n: number; ms: number }>();
      // customGrad ops and op scopes (logSoftmax) are profiled too, around kernels profiled on their own: leave them out.
      for (const kern of info.kernels.filter((x) => tf.getKernel(x.name, tf.getBackend()) !== undefined)) {
        const e = byName.get(kern.name) ?? { n: 0, ms: 0 };
        e.n += 1;
        e.ms += kern.kernelTimeMs as number;
        byName.set(kern.name, e);
      }
      const kernelMs = [...byName.values()].reduce((s, e) => s + e.ms, 0);
      const count = [...byName.values()].reduce((s, e) => s + e.n, 0);
      process.stdout.write(`\n${variant} k=${k}: step ${wall.toFixed(1)} ms (median of 5, unprofiled); ${count} kernels, ${kernelMs.toFixed(1)} ms in kernels, ${(wall - kernelMs).toFixed(1)} ms outside them\n`);
      process.stdout.write(`${'kernel'.padEnd(28)}${'count'.padStart(7)}${'ms'.padStart(9)}${'share'.padStart(8)}\n`);
      for (const [name, e] of [...byName.entries()].sort((x, y) => y[1].ms - x[1].ms)) {
        process.stdout.write(`${name.padEnd(28)}${String(e.n).padStart(7)}${e.ms.toFixed(2).padStart(9)}${`${((100 * e.ms) / wall).toFixed(1)}%`.padStart(8)}\n`);
      }
    }
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const info = await initBackend(a.backend ? { backend: parseBackendName(a.backend, '--backend') } : {});
  ensureGradients();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(`${cpu}, ${cpus().length} cores; backend ${info.backend} (${info.threads} thread(s)); batch ${a.batch}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  if (a.profile) return profile(a);
  process.stdout.write(`median of ${a.reps} interleaved repetitions of ${a.steps} timed steps each\n`);
  const threads = [...new Set([cpus().length, 1])];
  printThroughput(await throughput(a, threads), threads, a);
  process.stdout.write(`load average after ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
}

await main();
