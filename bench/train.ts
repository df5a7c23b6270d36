// Training-step throughput: samples/s of one AdamW step (forward, backward, clipping, update) of
// vit-micro/mini at 28×28 patch 4, batch 128, with all 49 tokens and with a 25-token ticket, on
// the active backend, beside PyTorch CPU (bench/train_torch.py, same model, optimizer and batch).
//   node --import tsx bench/train.ts [--backend tensorflow|wasm|cpu] [--steps 5] [--batch 128]
//                                    [--variant vit-micro-p4-28 …] [--k 49 --k 25] [--no-torch]
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { initBackend, parseBackendName } from '../src/backend/index.js';
import { variantConfig } from '../src/model/index.js';
import { AdamW, buildModel, ensureGradients, trainStep, type HostBatch } from '../src/trainer/index.js';

interface Args {
  backend: string | undefined;
  steps: number;
  batch: number;
  variants: string[];
  ks: number[];
  torch: boolean;
}

function parseArgs(argv: string[]): Args {
  const all = (flag: string): string[] => argv.flatMap((a, i) => (a === flag && argv[i + 1] !== undefined ? [argv[i + 1]] : []));
  const one = (flag: string): string | undefined => all(flag).pop();
  const variants = all('--variant');
  const ks = all('--k').map(Number);
  return {
    backend: one('--backend'),
    steps: Number(one('--steps') ?? 5),
    batch: Number(one('--batch') ?? 128),
    variants: variants.length > 0 ? variants : ['vit-micro-p4-28', 'vit-mini-p4-28'],
    ks: ks.length > 0 ? ks : [49, 25],
    torch: !argv.includes('--no-torch'),
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

async function ours(variant: string, k: number, a: Args): Promise<number> {
  const config = variantConfig(variant);
  const { vit, model } = buildModel(config, 0);
  const opt = new AdamW(model.params);
  const batch = makeBatch(a.batch, k, vit.grid.numPatches, vit.grid.patchDim);
  const o = { labelSmoothing: 0.1, clipNorm: 1 };
  try {
    for (let i = 0; i < 2; i++) await trainStep(model, opt, batch, 1e-3, o);
    const t0 = performance.now();
    for (let i = 0; i < a.steps; i++) await trainStep(model, opt, batch, 1e-3, o);
    return (a.batch * a.steps) / ((performance.now() - t0) / 1000);
  } finally {
    opt.dispose();
    vit.dispose();
  }
}

/** PyTorch samples/s with `threads` intra-op threads (OpenMP collapses when the cores are oversubscribed, so 1 is also measured). */
function torch(variant: string, k: number, a: Args, threads: number): number | string {
  const short = variant.replace(/^vit-/, '').replace(/-p4-28$/, '');
  const args = ['bench/train_torch.py', '--variant', short, '--k', String(k), '--batch', String(a.batch), '--steps', String(a.steps), '--threads', String(threads)];
  const r = spawnSync('.venv/bin/python', args, { encoding: 'utf8' });
  if (r.status !== 0) return `unavailable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
  return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { samples_per_sec: number }).samples_per_sec;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const info = await initBackend(a.backend ? { backend: parseBackendName(a.backend, '--backend') } : {});
  ensureGradients();
  process.stdout.write(`backend ${info.backend} (${info.threads} thread(s)); batch ${a.batch}, ${a.steps} timed steps; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  const threads = [...new Set([cpus().length, 1])];
  const head = threads.map((t) => `torch ${t}T samples/s`.padStart(20)).join(' ');
  process.stdout.write(`${'config'.padEnd(24)} ${'ours samples/s'.padStart(15)} ${head} ${'ours/best torch'.padStart(16)}\n`);
  for (const variant of a.variants) {
    for (const k of a.ks) {
      const mine = await ours(variant, k, a);
      const peers = a.torch ? threads.map((t) => torch(variant, k, a, t)) : [];
      const nums = peers.filter((p): p is number => typeof p === 'number');
      const ratio = nums.length > 0 ? `${(mine / Math.max(...nums)).toFixed(2)}×` : '-';
      const cols = threads.map((_, i) => { const p = peers[i] ?? 'skipped'; return (typeof p === 'number' ? p.toFixed(1) : p).padStart(20); }).join(' ');
      process.stdout.write(`${`${variant} k=${k}`.padEnd(24)} ${mine.toFixed(1).padStart(15)} ${cols} ${ratio.padStart(16)}\n`);
    }
  }
}

await main();
