/**
 * The TypeScript side of bench/epoch_order.py: one rank's epoch order (shuffle + rank slice, what
 * the loader computes at the start of an epoch) for each configuration given as JSON, timed per
 * epoch (wall and process CPU time), with the sha256 of every order (little-endian uint32) so the driver can check that the
 * Python reader computed the same one.
 * Usage: node --import tsx bench/epoch_order.ts '<json>'
 *   json: {"shardRows": [...], "seed": n, "epochs": [..], "configs": [{"shuffle", "block", "partition", "world", "rank"}]}
 */
import { createHash } from 'node:crypto';
import { partition, rankSequence } from '../src/loader/partition.js';
import { getShuffle } from '../src/loader/shuffle/index.js';

interface Config { shuffle: string; block: number; partition: string; world: number; rank: number }
interface Spec { shardRows: number[]; seed: number; epochs: number[]; configs: Config[] }

const spec = JSON.parse(process.argv[2]) as Spec;
const rows = spec.shardRows.reduce((a, b) => a + b, 0);

function order(c: Config, epoch: number): Uint32Array {
  const all = getShuffle(c.shuffle)(spec.shardRows, spec.seed, epoch, { block: c.block });
  return rankSequence(all, partition(c.partition, rows, c.world, c.rank));
}

const out = spec.configs.map((c) => {
  order(c, 1000); // warm-up (JIT), an epoch not timed
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  const sha256: string[] = [];
  for (const epoch of spec.epochs) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const seq = order(c, epoch);
    seconds.push((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(c0);
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
    sha256.push(createHash('sha256').update(new Uint8Array(seq.buffer, seq.byteOffset, seq.byteLength)).digest('hex'));
  }
  return { seconds, cpuSeconds, sha256 };
});
process.stdout.write(`${JSON.stringify(out)}\n`);
