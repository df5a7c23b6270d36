/** `dlth verify <dir|url>`: full verification; one summary line on success, a typed error otherwise. */
import type { Command } from 'commander';
import { verifyDataset } from '../shards/verify.js';
import { openStore } from '../loader/store/index.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('verify a dataset: manifest, sizes, sha256, Arrow schema, values (exit 0 when valid)')
    .argument('<dir>', 'dataset directory or http(s) URL')
    .action(async (dir: string) => {
      const r = await verifyDataset(openStore(dir));
      process.stdout.write(`ok: ${r.dir}: ${r.kind}, ${r.rows} rows in ${r.shards} shards, ${formatBytes(r.bytes)}, ${r.fingerprint}\n`);
    });
}
