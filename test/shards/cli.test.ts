import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerInspect } from '../../src/cli/inspect.js';
import { registerVerify } from '../../src/cli/verify.js';
import { ShardError } from '../../src/util/errors.js';
import { makeMeta, makeTicketRows, tempDir, writeTickets } from './helpers.js';

async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerVerify(program);
  registerInspect(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'dlth', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('dlth verify prints one summary line, and throws naming the file when invalid', async () => {
  const meta = makeMeta({ k: 2 });
  const dir = await tempDir();
  await writeTickets(dir, meta, makeTicketRows(meta, 6).map((r) => ({ ...r, scores: new Float32Array(2).fill(NaN) })));
  const out = await run(['verify', dir]);
  assert.match(out, /^ok: .*: tickets, 6 rows in 1 shards, .*sha256:[0-9a-f]{64}\n$/);
  const shard = join(dir, 'shard-00000.arrow');
  const bytes = await readFile(shard);
  bytes[200] ^= 0xff;
  await writeFile(shard, bytes);
  await assert.rejects(run(['verify', dir]), (e: unknown) => e instanceof ShardError && e.file === shard);
});

test('dlth inspect --json summarises the dataset with a label histogram', async () => {
  const meta = makeMeta({ k: 2 });
  const dir = await tempDir();
  const rows = makeTicketRows(meta, 8);
  await writeTickets(dir, meta, rows);
  const s = JSON.parse(await run(['inspect', dir, '--json'])) as { rows: number; k: number; labels: Record<string, number>; policy: string };
  assert.equal(s.rows, 8);
  assert.equal(s.k, 2);
  assert.equal(s.policy, 'random');
  assert.equal(Object.values(s.labels).reduce((a, b) => a + b, 0), 8);
  assert.equal(s.labels.null, rows.filter((r) => r.label === null).length);
  assert.match(await run(['inspect', dir]), /tickets {3}k = 2 \(keep 0.125\), policy random, seed 7/);
});
