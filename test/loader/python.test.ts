/**
 * The external-trainer path: Python reads `dlth stream` through a pipe, and the PyTorch example
 * trains on shards this test writes. Needs .venv (scripts/setup-python.sh): skipped with a
 * message when it is missing, a failure when CI is set.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TicketLoader } from '../../src/loader/loader.js';
import { collect, tempDir, ticketMeta, ticketRows, writeDataset } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PYTHON = join(ROOT, '.venv/bin/python');
const haveVenv = existsSync(PYTHON);
const skip = haveVenv ? false : 'no .venv/bin/python (run scripts/setup-python.sh); Python interop tests skipped';

let command: string[] | undefined;

/**
 * `node --import tsx <entry> stream`: the real CLI when src/cli/main.ts registers stream and
 * loads (the checkout may hold other commands' work in progress), else the test-only entry.
 */
function streamCommand(): string[] {
  if (command) return command;
  const main = join(ROOT, 'src/cli/main.ts');
  const probe = spawnSync(process.execPath, ['--import', 'tsx', main, 'stream', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const usable = readFileSync(main, 'utf8').includes('registerStream') && probe.status === 0;
  if (!usable) process.stderr.write('python.test: src/cli/main.ts cannot run `stream` yet; using test/loader/cli-entry.ts\n');
  command = [process.execPath, '--import', 'tsx', usable ? main : join(ROOT, 'test/loader/cli-entry.ts'), 'stream'];
  return command;
}

function python(args: string[], timeoutMs = 180_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const meta = ticketMeta({ image: 16, patch: 4, channels: 3, k: 8 });
let dir = '';

before(async () => {
  if (!haveVenv && process.env.CI) throw new Error(`CI is set but ${PYTHON} is missing: the Python interop tests cannot run`);
  dir = join(await tempDir('dlth-py-'), 'tickets');
  await writeDataset(dir, meta, ticketRows(meta, 120), 8_000);
});

const READER = `
import json, subprocess, sys
import pyarrow as pa
cmd = json.loads(sys.argv[1])
proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
reader = pa.ipc.open_stream(proc.stdout)
out = {"ids": [], "sizes": [], "nulls": 0, "meta": reader.schema.metadata[b"dlth"].decode()}
first = None
for rb in reader:
    out["ids"] += rb.column("id").to_pylist()
    out["sizes"].append(rb.num_rows)
    out["nulls"] += rb.column("label").null_count
    if first is None:
        first = rb
k = first.schema.field("positions").type.list_size
out["k"] = k
out["positions0"] = first.column("positions").flatten().to_numpy()[:k].tolist()
out["patch_sum0"] = int(first.column("patches").flatten().flatten().to_numpy()[: k * 48].astype("int64").sum())
out["rc"] = proc.wait()
shard = pa.ipc.open_stream(open(sys.argv[2], "rb")).read_all()
out["same_schema"] = shard.schema.equals(reader.schema, check_metadata=True)
print(json.dumps(out))
`;

test('python reads `dlth stream` through a pipe: the loader\'s exact batches', { skip, timeout: 240_000 }, async () => {
  const args = [dir, '--epoch', '1', '--seed', '7', '--batch', '16', '--flip', '--world', '2', '--rank', '1', '-q'];
  const r = python(['-c', READER, JSON.stringify([...streamCommand(), ...args]), join(dir, 'shard-00000.arrow')]);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { ids: string[]; sizes: number[]; nulls: number; k: number; positions0: number[]; patch_sum0: number; rc: number; same_schema: boolean };
  const loader = await TicketLoader.open([dir], { seed: 7, batchSize: 16, flip: true, world: 2, rank: 1 });
  const expected = await collect(loader.batches(1));
  assert.equal(got.rc, 0);
  assert.ok(got.same_schema, 'stream schema (with dlth metadata) equals the shards');
  assert.deepEqual(got.ids, expected.flatMap((b) => b.ids));
  assert.deepEqual(got.sizes, expected.map((b) => b.size));
  assert.equal(got.nulls, expected.reduce((n, b) => n + b.labels.filter((l) => l === -1).length, 0));
  assert.deepEqual(got.positions0, [...expected[0].positions.subarray(0, meta.k)]);
  assert.equal(got.patch_sum0, expected[0].patches.subarray(0, meta.k * 48).reduce((a, x) => a + x, 0));
});

test('python closing the pipe early ends `dlth stream` quietly (exit 0)', { skip, timeout: 120_000 }, () => {
  const code = `
import json, subprocess, sys
import pyarrow as pa
proc = subprocess.Popen(json.loads(sys.argv[1]), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
reader = pa.ipc.open_stream(proc.stdout)
reader.read_next_batch()
proc.stdout.close()
rc = proc.wait(timeout=60)
print(json.dumps({"rc": rc, "stderr": proc.stderr.read().decode()}))
`;
  const r = python(['-c', code, JSON.stringify([...streamCommand(), dir, '--batch', '2', '--shuffle', 'none'])]);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { rc: number; stderr: string };
  assert.equal(got.rc, 0, got.stderr);
  assert.doesNotMatch(got.stderr, /error/i);
});

// The PyTorch example (examples/pytorch, on the `dlth` package) is tested by python/tests/test_examples.py.
