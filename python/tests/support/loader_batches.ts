/**
 * Prints the TypeScript loader's batches in full (ids, labels, positions, patch bytes and soft
 * targets in base64) for loader options given as JSON, e.g. the token augmentations. Usage:
 * node --import tsx loader_batches.ts '<json {locations, epoch, options}>'
 */
import { TicketLoader } from '../../../src/loader/loader.js';
import type { LoaderOptions } from '../../../src/loader/options.js';

const { locations, epoch, options } = JSON.parse(process.argv[2] ?? '{}') as { locations: string[]; epoch: number; options: LoaderOptions };
const loader = await TicketLoader.open(locations, options);
const out = [];
const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
for await (const b of loader.batches(epoch)) {
  out.push({ ids: b.ids, labels: [...b.labels], views: [...b.views], positions: [...b.positions], patches: b64(b.patches), targets: b.targets ? b64(b.targets) : null });
}
process.stdout.write(JSON.stringify(out));
