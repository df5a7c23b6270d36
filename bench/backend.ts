// Matmul speed per backend: [32,197,384] x [384,1152] (a DeiT-S qkv projection over a batch of 32),
// on native TensorFlow, wasm and the pure-JS cpu backend, as ms per matmul and GFLOP/s.
//   node --import tsx bench/backend.ts [--budget-ms 4000] [backends…]
// All three backends execute eagerly and synchronously, so timing the call times the compute.
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/init.js';
import type { ConcreteBackend } from '../src/backend/types.js';

const SHAPE_A = [32, 197, 384] as const;
const SHAPE_B = [384, 1152] as const;
const FLOP = 2 * SHAPE_A[0] * SHAPE_A[1] * SHAPE_A[2] * SHAPE_B[1];

interface Row {
  backend: ConcreteBackend;
  ms?: number;
  runs?: number;
  error?: string;
}

function parseArgs(argv: string[]): { budgetMs: number; backends: ConcreteBackend[] } {
  const i = argv.indexOf('--budget-ms');
  const budgetMs = i >= 0 ? Number(argv[i + 1]) : 4000;
  const rest = argv.filter((_a, j) => j !== i && j !== i + 1 || i < 0);
  const named = rest.filter((a): a is ConcreteBackend => a === 'tensorflow' || a === 'wasm' || a === 'cpu');
  return { budgetMs, backends: named.length > 0 ? named : ['tensorflow', 'wasm', 'cpu'] };
}

/** Median ms of one matmul: one warm-up, then runs until the budget is spent (at least 2, at most 20). */
function timeMatmul(budgetMs: number): { ms: number; runs: number } {
  const a = tf.randomUniform([SHAPE_A[0] * SHAPE_A[1], SHAPE_A[2]], -1, 1);
  const b = tf.randomUniform([...SHAPE_B], -1, 1);
  const once = (): number => {
    const t0 = performance.now();
    const c = tf.reshape(tf.matMul(a, b), [SHAPE_A[0], SHAPE_A[1], SHAPE_B[1]]);
    const dt = performance.now() - t0;
    tf.dispose(c);
    return dt;
  };
  once();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 20 && (times.length < 2 || performance.now() - start < budgetMs)) times.push(once());
  tf.dispose([a, b]);
  times.sort((x, y) => x - y);
  return { ms: times[Math.floor(times.length / 2)], runs: times.length };
}

async function main(): Promise<void> {
  const { budgetMs, backends } = parseArgs(process.argv.slice(2));
  const rows: Row[] = [];
  for (const backend of backends) {
    try {
      const info = await initBackend({ backend });
      rows.push({ backend, ...timeMatmul(budgetMs) });
      process.stderr.write(`${backend}: ${info.package}, ${info.threads} thread(s)\n`);
    } catch (err) {
      rows.push({ backend, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const ref = rows.find((r) => r.backend === 'cpu' && r.ms !== undefined)?.ms;
  console.log(`matmul [${SHAPE_A.join(',')}] x [${SHAPE_B.join(',')}]  (${(FLOP / 1e9).toFixed(2)} GFLOP)`);
  console.log('backend       ms/matmul   GFLOP/s   runs   vs cpu');
  for (const r of rows) {
    if (r.ms === undefined) {
      console.log(`${r.backend.padEnd(12)}  unavailable: ${r.error}`);
      continue;
    }
    const ratio = ref ? `${(ref / r.ms).toFixed(1)}x` : '-';
    const gflops = FLOP / 1e9 / (r.ms / 1000);
    console.log(`${r.backend.padEnd(12)}  ${r.ms.toFixed(1).padStart(9)}  ${gflops.toFixed(1).padStart(8)}  ${String(r.runs).padStart(5)}   ${ratio}`);
  }
}

await main();
