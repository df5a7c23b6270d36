// Model throughput beside PyTorch CPU on the same machine, in the same run:
//   node --import tsx bench/model.ts [--iters 2] [--no-torch] [backends…]   (default: tensorflow wasm)
// - forward img/s of deit-small-patch16-224, batch 32, random weights, without and with every
//   layer's CLS attention (what the selector needs);
// - one training step's samples/s of vit-micro-p4-28 (28×28×1, patch 4, dim 64, depth 4), batch
//   128, all 49 patches: the product's step (src/trainer/step.ts) with the peer's settings (Adam =
//   AdamW without weight decay, plain cross entropy, no clipping);
// - every matrix product of a DeiT-small block (batch 32) alone, on each backend and in PyTorch:
//   the forward can never beat 32 / (12 × their summed time), whatever the rest of the model costs.
// The Python peer is bench/model_torch.py (run with .venv/bin/python); ratios are ours / PyTorch.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/init.js';
import { variantConfig } from '../src/model/configs.js';
import { ViT } from '../src/model/vit.js';
import { ADAMW_DEFAULTS, AdamW } from '../src/trainer/adamw.js';
import { ensureGradients } from '../src/trainer/gradients.js';
import { buildModel } from '../src/trainer/model.js';
import { trainStep, type HostBatch } from '../src/trainer/step.js';

interface Result {
  forward?: number;
  forwardAttn?: number;
  train?: number;
  /** ms per product for each GEMM shape (GEMMS order). */
  gemm?: number[];
  error?: string;
}

/**
 * Every matrix product of a DeiT-small block at batch 32, [batch, M, K] · [K, N]: the four dense
 * layers (6304 = 32 × 197 tokens: qkv, proj, fc1, fc2), then attention's q·kᵀ and attn·v over
 * 32 × 6 heads. A forward runs each 12 times; their time alone bounds the forward's speed.
 */
const GEMMS: [number, number, number, number][] = [
  [1, 6304, 384, 1152], [1, 6304, 384, 384], [1, 6304, 384, 1536], [1, 6304, 1536, 384], [192, 197, 64, 197], [192, 197, 197, 64],
];

function parseArgs(argv: string[]): { iters: number; torch: boolean; backends: ('tensorflow' | 'wasm' | 'cpu')[] } {
  const i = argv.indexOf('--iters');
  const iters = i >= 0 ? Number(argv[i + 1]) : 2;
  const named = argv.filter((a): a is 'tensorflow' | 'wasm' | 'cpu' => a === 'tensorflow' || a === 'wasm' || a === 'cpu');
  return { iters, torch: !argv.includes('--no-torch'), backends: named.length > 0 ? named : ['tensorflow', 'wasm'] };
}

async function timed(fn: () => Promise<void>, iters: number): Promise<number> {
  await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await fn();
  return (performance.now() - t0) / 1000 / iters;
}

async function forwardBench(iters: number): Promise<Pick<Result, 'forward' | 'forwardAttn'>> {
  const vit = ViT.init(variantConfig('deit-small-patch16-224'), 0);
  const x = tf.randomUniform([32, 196, 768], 0, 256, 'int32') as tf.Tensor3D;
  const run = (attn: boolean) => async (): Promise<void> => {
    const r = vit.forward(x, undefined, { returnAttention: attn });
    await r.logits.data();
    if (r.clsAttention) await Promise.all(r.clsAttention.map((a) => a.data()));
    tf.dispose([r.logits, ...(r.clsAttention ?? [])]);
  };
  const forward = 32 / (await timed(run(false), iters));
  const forwardAttn = 32 / (await timed(run(true), iters));
  x.dispose();
  vit.dispose();
  return { forward, forwardAttn };
}

/**
 * The product's training step (src/trainer/step.ts, as `dlth train` runs it) on vit-micro-p4-28,
 * batch 128, all 49 patches, set up as the peer's step: AdamW without weight decay (= Adam), plain
 * cross entropy (no label smoothing), no clipping.
 */
async function trainBench(iters: number): Promise<number> {
  ensureGradients();
  const { vit, model } = buildModel(variantConfig('vit-micro-p4-28'), 0);
  const opt = new AdamW(model.params, { ...ADAMW_DEFAULTS, weightDecay: 0 });
  const n = vit.grid.numPatches;
  const batch: HostBatch = {
    size: 128, k: n,
    patches: new Uint8Array(128 * n * vit.grid.patchDim).map((_, i) => (i * 97) % 256),
    positions: new Uint16Array(128 * n).map((_, i) => i % n),
    labels: new Int32Array(128).map((_, i) => i % 10),
  };
  const sec = await timed(async () => void (await trainStep(model, opt, batch, 1e-3, { labelSmoothing: 0, clipNorm: 0 })), iters * 3);
  opt.dispose();
  vit.dispose();
  return 128 / sec;
}

/** Best-of-5 ms per product for each GEMMS shape on the current backend. */
function gemmBench(): number[] {
  return GEMMS.map(([batch, m, k, n]) => {
    const a = tf.randomNormal([batch, m, k]);
    const b = tf.randomNormal([batch, k, n]);
    let best = Infinity;
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      const corner = tf.slice(c, [0, 0, 0], [1, 1, 1]);
      corner.dataSync(); // waits for the product without timing a copy of it to JavaScript
      if (i > 0) best = Math.min(best, performance.now() - t0);
      tf.dispose([c, corner]);
    }
    tf.dispose([a, b]);
    return best;
  });
}

function torchBench(iters: number): Result & { torch?: string; threads?: number } {
  const py = existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3';
  const r = spawnSync(py, ['bench/model_torch.py', '--iters', String(iters)], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Result;
  } catch {
    return { error: (r.stderr || r.error?.message || 'no output').trim().split('\n').pop() };
  }
}

const fmt = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(1)).padStart(8);
const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? `${(a / b).toFixed(2)}×` : '—').padStart(7);

const args = parseArgs(process.argv.slice(2));
const rows: [string, Result][] = [];
for (const backend of args.backends) {
  try {
    await initBackend({ backend });
    const f = await forwardBench(args.iters);
    rows.push([backend, { ...f, train: await trainBench(args.iters), gemm: backend === 'wasm' ? undefined : gemmBench() }]);
  } catch (err) {
    rows.push([backend, { error: (err as Error).message.split('\n')[0] }]);
  }
}
const torch = args.torch ? torchBench(args.iters) : undefined;
console.log(`model bench (${args.iters} iterations after 1 warm-up; img/s or samples/s; ratio = ours / PyTorch CPU)`);
console.log(`${'backend'.padEnd(12)}${'fwd'.padStart(8)}${'ratio'.padStart(7)}${'fwd+attn'.padStart(10)}${'ratio'.padStart(7)}${'train'.padStart(8)}${'ratio'.padStart(7)}`);
for (const [name, r] of rows) {
  if (r.error) console.log(`${name.padEnd(12)}unavailable: ${r.error}`);
  else console.log(`${name.padEnd(12)}${fmt(r.forward)}${ratio(r.forward, torch?.forward)}  ${fmt(r.forwardAttn)}${ratio(r.forwardAttn, torch?.forwardAttn)}${fmt(r.train)}${ratio(r.train, torch?.train)}`);
}
if (torch?.error) console.log(`pytorch     unavailable: ${torch.error}`);
else if (torch) console.log(`${'pytorch'.padEnd(12)}${fmt(torch.forward)}${''.padStart(7)}  ${fmt(torch.forwardAttn)}${''.padStart(7)}${fmt(torch.train)}   (torch ${(torch as { torch?: string }).torch}, ${(torch as { threads?: number }).threads} threads; fwd = SDPA, fwd+attn = eager + output_attentions)`);
console.log('forward: deit-small-patch16-224, batch 32; train: vit-micro-p4-28 (28×28×1, p4, dim 64, depth 4), batch 128, Adam');

// The matrix products alone: what any forward built from this backend's matmul can reach at best.
const gemmRows: [string, number[]][] = rows.flatMap(([name, r]) => (r.gemm ? [[name, r.gemm] as [string, number[]]] : []));
if (torch?.gemm) gemmRows.push(['pytorch', torch.gemm]);
if (gemmRows.length > 0) {
  const flops = GEMMS.map(([batch, m, k, n]) => 2 * batch * m * k * n);
  console.log(`\nmatrix products of one DeiT-small block at batch 32, ms (GFLOP/s); "bound" = 32 / (12 × their sum): the forward's img/s if nothing else cost anything`);
  console.log(`${'backend'.padEnd(12)}${GEMMS.map(([batch, m, k, n]) => `${batch > 1 ? `${batch}×` : ''}${m}×${k}·${n}`.padStart(19)).join('')}${'bound img/s'.padStart(13)}`);
  for (const [name, ms] of gemmRows) {
    const cells = ms.map((t, i) => `${t.toFixed(1)} (${(flops[i] / t / 1e6).toFixed(0)})`.padStart(19)).join('');
    console.log(`${name.padEnd(12)}${cells}${(32000 / (12 * ms.reduce((a, b) => a + b, 0))).toFixed(1).padStart(13)}`);
  }
  const fwd = torch?.forward;
  if (fwd) console.log(`goal (issue 4): native forward ≥ 1.5 × ${fwd.toFixed(1)} = ${(1.5 * fwd).toFixed(1)} img/s`);
}
