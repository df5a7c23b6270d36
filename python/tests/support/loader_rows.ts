/**
 * Prints the rows the TypeScript loader yields (ids, positions, patch-byte checksums) for options
 * that `dlth stream` has no flag for (e.g. `subset`). Usage:
 * node --import tsx loader_rows.ts '<json {locations, epoch, options}>'
 */
import { TicketLoader } from '../../../src/loader/loader.js';
import type { LoaderOptions } from '../../../src/loader/options.js';

const { locations, epoch, options } = JSON.parse(process.argv[2] ?? '{}') as { locations: string[]; epoch: number; options: LoaderOptions };
const loader = await TicketLoader.open(locations, options);
const out = { ids: [] as string[], positions: [] as number[][], patchSums: [] as number[] };
for await (const b of loader.batches(epoch)) {
  const k = b.positions.length / b.size;
  const rowBytes = b.patches.length / b.size;
  for (let i = 0; i < b.size; i++) {
    out.ids.push(b.ids[i]);
    out.positions.push([...b.positions.subarray(i * k, (i + 1) * k)]);
    out.patchSums.push(b.patches.subarray(i * rowBytes, (i + 1) * rowBytes).reduce((s, x, j) => (s + x * (j + 1)) % 1_000_000_007, 0));
  }
}
process.stdout.write(JSON.stringify(out));
